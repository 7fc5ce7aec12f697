import { concatMap, EMPTY, from } from 'rxjs';
import type { Logger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { ControllerTransport } from '../transport/controller-transport.js';
import type { MessageMiddleware } from './middleware.js';

/**
 * A controller transport with message middleware applied, the mirror of withDeviceMiddleware:
 * commands and desired patches are sealed on the way out, states and responses opened on the way
 * in. A state a middleware refuses is not shown (and logged); a response it refuses becomes an
 * `unauthorized` answer, so a caller never takes a forged answer for the device's.
 */
export function withControllerMiddleware(transport: ControllerTransport, middlewares: readonly MessageMiddleware[], logger: Logger): ControllerTransport {
  if (middlewares.length === 0) return transport;
  const reversed = middlewares.toReversed();

  const openState = async (deviceId: string, message: DeviceStateMessage): Promise<DeviceStateMessage | undefined> => {
    let state = message.state;
    try {
      for (const middleware of reversed) if (middleware.openState) state = await middleware.openState(deviceId, state);
    } catch (error) {
      logger.warn({ device: deviceId, reason: (error as Error).message }, 'device state refused by middleware');
      return undefined;
    }
    return { ...message, state };
  };

  const overrides: Partial<ControllerTransport> = {
    state$: (deviceId) =>
      transport.state$(deviceId).pipe(concatMap((message) => from(openState(deviceId, message)).pipe(concatMap((opened) => (opened ? [opened] : EMPTY))))),
    async getState(deviceId) {
      const message = await transport.getState(deviceId);
      return message && (await openState(deviceId, message));
    },
    async invoke(deviceId, command, params = {}, options = {}) {
      const commandId = options.commandId ?? globalThis.crypto.randomUUID();
      let sealed: JsonObject = params;
      for (const middleware of middlewares) {
        if (middleware.sealCommand) sealed = await middleware.sealCommand({ deviceId, command, commandId, params: sealed });
      }
      let response = await transport.invoke(deviceId, command, sealed, { ...options, commandId });
      try {
        for (const middleware of reversed) if (middleware.openResponse) response = await middleware.openResponse(deviceId, response);
      } catch (error) {
        const reason = (error as Error).message;
        logger.warn({ device: deviceId, command, command_id: commandId, reason }, 'command response refused by middleware');
        return { command_id: commandId, command, success: false, error: { code: 'unauthorized', message: `response refused: ${reason}` }, timestamp: Date.now() };
      }
      return response;
    },
    async setDesired(deviceId, patch) {
      let sealed = patch;
      for (const middleware of middlewares) if (middleware.sealDesired) sealed = await middleware.sealDesired(deviceId, sealed);
      await transport.setDesired(deviceId, sealed);
    },
  };
  // A proxy, so what a transport offers beyond the interface (the MQTT controller's telemetry$)
  // stays reachable.
  return new Proxy(transport, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof ControllerTransport];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
