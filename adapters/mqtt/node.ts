/**
 * Node-only parts of the MQTT adapter: the embedded broker, the TLS loader that reads certificate
 * files, and the plugin (it binds that loader). Browsers import `amora-sync/mqtt` instead.
 */
export {
  brokerHasAuth,
  startEmbeddedBroker,
  type BrokerAuthOptions,
  type BrokerDenials,
  type BrokerTlsOptions,
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
} from './embedded-broker.js';
export { fileTlsLoader } from './tls-files.node.js';
export { MqttTransportModule, default as mqttPlugin } from './plugin.js';
export * from './index.js';
