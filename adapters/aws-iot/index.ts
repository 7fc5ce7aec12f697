/**
 * The AWS IoT Core adapter (Node only: it reads certificate files; `link: sdk` runs
 * aws-iot-device-sdk-v2 on aws-crt's native binary):
 * device and controller transports, options, topic layouts and the local emulator.
 */
export { AwsIotDeviceTransport } from './device-transport.js';
export { AwsIotTransportModule, default as awsIotPlugin } from './plugin.js';
export { AwsIotControllerTransport } from './controller-transport.js';
export { awsIotOptionsSchema, parseAwsIotOptions, withAncEnvironment, ANC_ENVIRONMENT, type AwsIotOptions, type AwsIotOptionsInput } from './options.js';
export { AwsTopics, DEFAULT_TOPIC_PREFIX } from './topics.js';
export { shadowTopic, shadowTopicPrefix, parseShadowTopic, type ParsedShadowTopic, type ShadowOperation } from './shadow-topics.js';
export { SHADOW_STATE_LIMIT_BYTES } from './shadow-document.js';
export type { ConnectionMessage, OfflineReason, TelemetryMessage } from '../../core/index.js';
export { startAwsIotEmulator, type AwsIotEmulator, type AwsIotEmulatorOptions } from './emulator/emulator.js';
