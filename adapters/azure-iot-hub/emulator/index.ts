/** The local Azure IoT Hub emulator (Node only). */
export { startAzureIotHubEmulator } from './emulator.js';
export type { AzureIotHubEmulator, AzureIotHubEmulatorOptions, EmulatedDevice, ConnectionEvent, ReportedPatch, TelemetryMessage } from './emulator.js';
export { createDeviceCertificate, certificateThumbprint, createEmulatorCertificates, type EmulatorCertificates, type PemPair } from './certificates.js';
export { MethodInvocationError, type MethodResult } from './device-endpoint.js';
export type { EventHubEndpointInfo, EventHubOptions } from './event-hub/event-hub-endpoint.js';
export type { RoutedEvent, StoredEvent, RetentionDrops, RetentionOptions } from './event-hub/event-store.js';
