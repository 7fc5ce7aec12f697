/** The Azure IoT Hub transport family (Node only: the vendor SDKs are). */
export { AzureIotHubDeviceTransport } from './device-transport.js';
export { AzureIotHubControllerTransport } from './controller-transport.js';
export { AzureIotHubTransportModule, default as azureIotHubPlugin } from './plugin.js';
export {
  azureIotHubOptionsSchema,
  parseAzureIotHubOptions,
  DEVICE_CONNECTION_STRING_ENV,
  SERVICE_CONNECTION_STRING_ENV,
  type AzureIotHubOptions,
  type AzureIotHubOptionsInput,
} from './options.js';
export { IOT_HUB_LIMITS } from './limits.js';
export { createSasToken, parseSasToken } from './sas.js';
export { deviceConnectionInfo, serviceConnectionInfo, parseConnectionString, formatConnectionString } from './connection-string.js';
