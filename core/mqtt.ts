// The plain-MQTT entry: core's mqtt.js connection, shared by every transport that speaks MQTT
// through mqtt.js (the generic MQTT kind, AWS IoT Core's mqtt link). An entry of its own so
// core/index.ts stays free of the mqtt package; browser-safe like it (mqtt.js runs over ws:// there).
export {
  MqttConnection,
  type MqttConnectionDeps,
  type MqttConnectionHooks,
  type MqttConnectionSettings,
  type ResolvedTls,
} from './transport/mqtt-connection.js';
