import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  ExponentialBackoffRetryPolicy,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { AwsIotControllerTransport } from './controller-transport.js';
import { AwsIotDeviceTransport } from './device-transport.js';
import { awsIotOptionsSchema } from './options.js';

/**
 * The built-in `aws-iot` transport kind, loaded through the same plugin API a third party uses.
 * Node-only: it reads certificate files, and `link: sdk` runs aws-iot-device-sdk-v2 on aws-crt's native binary.
 */
export class AwsIotTransportModule extends ContainerModule {
  /** Binds both ends; `retry` in the options overrides the agent's RetryPolicy for this instance. */
  static fromOptions(options: { readonly retry?: { readonly initialMs: number; readonly maxMs: number } | undefined }): AwsIotTransportModule {
    return new AwsIotTransportModule(({ bind }) => {
      bind(TOKENS.DeviceTransport).to(AwsIotDeviceTransport).inSingletonScope();
      bind(TOKENS.ControllerTransport).to(AwsIotControllerTransport).inSingletonScope();
      if (options.retry) bind(TOKENS.RetryPolicy).toConstantValue(new ExponentialBackoffRetryPolicy(options.retry));
    });
  }
}

export default definePlugin({
  name: 'amora-aws-iot',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    'aws-iot': defineKind({
      role: 'transport',
      description: 'AWS IoT Core (MQTT over mutual TLS, mqtt.js or aws-iot-device-sdk-v2): Device Shadow for state, MQTT topics for commands, presence and telemetry',
      options: awsIotOptionsSchema,
      // Relative paths written in the config are read from its directory; the IOT_* variables'
      // (filled in later by the schema) stay relative to the working directory, as in a shell.
      paths: ['certPath', 'keyPath', 'caPath'],
      module: (options) => AwsIotTransportModule.fromOptions(options),
    }),
  },
});
