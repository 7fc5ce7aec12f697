// The plain-MQTT entry: core's mqtt.js connection, shared by our transports that speak MQTT through
// mqtt.js (the generic MQTT kind, AWS IoT Core's mqtt link). Internal like core/internal.ts (the
// package does not export it), and an entry of its own so core/index.ts and core/internal.ts stay
// free of the mqtt package; browser-safe like them (mqtt.js runs over ws:// there).
export {
  isProtocolRefusal,
  MqttConnection,
  type MqttConnectionDeps,
  type MqttConnectionHooks,
  type MqttConnectionSettings,
  type MqttPublishOptions,
} from './transport/mqtt-connection.js';
export type { ResolvedTls } from './transport/resolved-tls.js';
