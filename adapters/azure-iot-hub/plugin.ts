import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  ExponentialBackoffRetryPolicy,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { AzureIotHubControllerTransport } from './controller-transport.js';
import { AzureIotHubDeviceTransport } from './device-transport.js';
import { azureIotHubOptionsSchema, type AzureIotHubOptions } from './options.js';

/**
 * The built-in `azure-iot-hub` transport kind, loaded through the same plugin API a third party
 * uses (and only when a config names it, so an MQTT-only agent never loads the Azure SDKs).
 * Binds both ends: the device transport needs a device connection string, the controller a
 * service one; each is checked when that end is built.
 */
export class AzureIotHubTransportModule extends ContainerModule {
  /** `retry` in the options overrides the agent's RetryPolicy for this instance. */
  static fromOptions(options: Pick<AzureIotHubOptions, 'retry'>): AzureIotHubTransportModule {
    return new AzureIotHubTransportModule(({ bind }) => {
      bind(TOKENS.DeviceTransport).to(AzureIotHubDeviceTransport).inSingletonScope();
      bind(TOKENS.ControllerTransport).to(AzureIotHubControllerTransport).inSingletonScope();
      if (options.retry) bind(TOKENS.RetryPolicy).toConstantValue(new ExponentialBackoffRetryPolicy(options.retry));
    });
  }
}

export default definePlugin({
  name: 'amora-azure-iot-hub',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    'azure-iot-hub': defineKind({
      role: 'transport',
      description: 'Azure IoT Hub: twin reported/desired properties, direct methods, device-to-cloud telemetry (azure-iot-device, azure-iothub)',
      options: azureIotHubOptionsSchema,
      // PEM text or file paths; relative paths are read from the config file's directory.
      paths: ['ca', 'x509.cert', 'x509.key'],
      module: (options) => AzureIotHubTransportModule.fromOptions(options),
    }),
  },
});
