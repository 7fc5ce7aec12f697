/**
 * The generic MQTT adapter, browser-safe parts: topic layout, options, device and controller
 * transports. Node-only parts (embedded broker, TLS files) are in `amora-sync/mqtt/node`.
 */
export { MqttTopics, type DeviceChannel, type ParsedDeviceTopic } from './topics.js';
export { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem } from '../../core/internal.js';
export { mqttOptionsSchema, mqttTlsOptionsSchema, parseMqttOptions, type MqttOptions, type MqttOptionsInput, type MqttTlsOptions, type MqttQos } from './options.js';
export type { ConnectionMessage, OfflineReason, TelemetryMessage } from '../../core/index.js';
export { MqttDeviceTransport, type MqttCommandContext } from './device-transport.js';
export { inlineTlsLoader, type ResolvedTls, type TlsMaterialLoader } from './tls.js';
export { MQTT_TOKENS } from './tokens.js';
export { MqttControllerTransport } from './controller-transport.js';
export { topicMatches } from '../../core/internal.js';
