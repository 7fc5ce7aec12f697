/** The local Azure IoT Hub emulator (Node only). */
export { startAzureIotHubEmulator } from './emulator.js';
export type { AzureIotHubEmulator, AzureIotHubEmulatorOptions, EmulatedDevice, ConnectionEvent, ReportedPatch, TelemetryMessage } from './emulator.js';
export { createDeviceCertificate, certificateThumbprint, createEmulatorCertificates, type EmulatorCertificates, type PemPair } from './certificates.js';
export { MethodInvocationError, type MethodResult } from './device-endpoint.js';
