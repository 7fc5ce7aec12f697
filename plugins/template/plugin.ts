import { ContainerModule } from 'inversify';
import {
  defineKind,
  definePlugin,
  ExponentialBackoffRetryPolicy,
  PLUGIN_API_VERSION,
  TOKENS,
} from '../../core/index.js';
import { WsHubControllerTransport } from './controller-transport.js';
import { WsHubDeviceTransport } from './device-transport.js';
import { wsHubOptionsSchema, type WsHubOptions } from './options.js';

/**
 * The module of one `ws-hub` instance. The registry builds it in a child container where
 * TOKENS.KindOptions (validated options) and TOKENS.InstanceId are already bound; DeviceId,
 * Logger, Clock and RetryPolicy come from the agent's root container.
 */
export class WsHubTransportModule extends ContainerModule {
  static fromOptions(options: WsHubOptions): WsHubTransportModule {
    return new WsHubTransportModule(({ bind }) => {
      // Both ends: an agent resolves the device side, `buildController` the controller side.
      bind(TOKENS.DeviceTransport).to(WsHubDeviceTransport).inSingletonScope();
      bind(TOKENS.ControllerTransport).to(WsHubControllerTransport).inSingletonScope();
      // Bound in the child container, so it overrides the agent's policy for this instance only.
      if (options.retry) bind(TOKENS.RetryPolicy).toConstantValue(new ExponentialBackoffRetryPolicy(options.retry));
    });
  }
}

/** The plugin: the default export of the module named in `plugins:`. */
export default definePlugin({
  name: 'amora-ws-hub',
  apiVersion: PLUGIN_API_VERSION,
  kinds: {
    'ws-hub': defineKind({
      role: 'transport',
      description: 'JSON frames over a WebSocket to a small hub (kept state and presence, routed answers): a site, a lab, tests',
      options: wsHubOptionsSchema,
      module: (options) => WsHubTransportModule.fromOptions(options),
    }),
  },
});
