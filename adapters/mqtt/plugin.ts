import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  ExponentialBackoffRetryPolicy,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { MqttControllerTransport } from './controller-transport.js';
import { MqttDeviceTransport } from './device-transport.js';
import { mqttOptionsSchema } from './options.js';
import { fileTlsLoader } from './tls-files.node.js';
import { MQTT_TOKENS } from './tokens.js';

/**
 * The built-in `mqtt` transport kind, loaded through the same plugin API a third party uses.
 * Node-only (reads TLS files); browsers construct the transports from `amora-sync/mqtt` directly.
 */
export class MqttTransportModule extends ContainerModule {
  /** Binds both ends; `retry` in the options overrides the agent's RetryPolicy for this instance. */
  static fromOptions(options: { readonly retry?: { readonly initialMs: number; readonly maxMs: number } | undefined }): MqttTransportModule {
    return new MqttTransportModule(({ bind }) => {
      bind(TOKENS.DeviceTransport).to(MqttDeviceTransport).inSingletonScope();
      bind(TOKENS.ControllerTransport).to(MqttControllerTransport).inSingletonScope();
      bind(MQTT_TOKENS.TlsLoader).toConstantValue(fileTlsLoader);
      if (options.retry) bind(TOKENS.RetryPolicy).toConstantValue(new ExponentialBackoffRetryPolicy(options.retry));
    });
  }
}

export default definePlugin({
  name: 'amora-mqtt',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    mqtt: defineKind({
      role: 'transport',
      description: 'generic MQTT (Mosquitto, EMQX, HiveMQ, the embedded aedes): retained state, MQTT 5 request/response, LWT presence',
      options: mqttOptionsSchema,
      // PEM text or file paths; relative paths are read from the config file's directory.
      paths: ['tls.ca', 'tls.cert', 'tls.key'],
      module: (options) => MqttTransportModule.fromOptions(options),
    }),
  },
});
