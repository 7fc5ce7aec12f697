/**
 * Node-only parts of the MQTT adapter: the embedded broker and the TLS loader that reads
 * certificate files. Browsers import `amora-sync/mqtt` instead.
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
export * from './index.js';
