import { Subject } from 'rxjs';
import type { CommandResponse } from '../commands/types.js';
import type { Logger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { ControllerTransport } from '../transport/controller-transport.js';
import type { TelemetryMessage } from '../transport/wire-messages.js';
import { keepOpened } from './keep-opened.js';
import { UNAUTHORIZED, type MessageMiddleware, type RefusedMessage } from './middleware.js';

/**
 * A controller transport with message middleware applied, the mirror of withDeviceMiddleware:
 * commands and desired patches are sealed on the way out, states, responses and telemetry opened
 * on the way in. A state or telemetry record a middleware refuses is not shown; a response it
 * refuses becomes an `unauthorized` answer, so a caller never takes a forged message for the
 * device's. Each refusal is logged, counted and emitted on `refused$`.
 */
export function withControllerMiddleware(transport: ControllerTransport, middlewares: readonly MessageMiddleware[], logger: Logger): ControllerTransport {
  if (middlewares.length === 0) return transport;
  const reversed = middlewares.toReversed();
  const refused = new Subject<RefusedMessage>();
  const totals = { state: 0, response: 0, telemetry: 0 };
  const refuse = (deviceId: string, what: RefusedMessage['what'], error: unknown, extra: { commandId?: string; kind?: string } = {}): string => {
    const reason = (error as Error).message;
    const total = ++totals[what];
    logger.warn({ device: deviceId, ...extra, reason, refused: total }, `${what} refused by middleware`);
    refused.next({ deviceId, what, reason, ...extra, total });
    return reason;
  };

  // Transports keep the latest message of a topic and hand the same object out again (getState):
  // each is opened once, so a forged one is counted once and the genuine one before it still shows.
  const opened = new WeakMap<DeviceStateMessage, Promise<DeviceStateMessage | undefined>>();
  const lastGenuine = new Map<string, DeviceStateMessage>();
  const openState = (deviceId: string, message: DeviceStateMessage): Promise<DeviceStateMessage | undefined> => {
    let result = opened.get(message);
    if (!result) {
      result = (async () => {
        let state = message.state;
        try {
          for (const middleware of reversed) if (middleware.openState) state = await middleware.openState(deviceId, state);
        } catch (error) {
          refuse(deviceId, 'state', error);
          return undefined;
        }
        const genuine = { ...message, state };
        lastGenuine.set(deviceId, genuine);
        return genuine;
      })();
      opened.set(message, result);
    }
    return result;
  };

  // A batch keeps the records that open; one with none left is not shown.
  const openTelemetry = async (deviceId: string, batch: TelemetryMessage): Promise<TelemetryMessage | undefined> => {
    const records: TelemetryMessage['records'][number][] = [];
    for (const record of batch.records) {
      let data = record.data;
      try {
        for (const middleware of reversed) if (middleware.openTelemetry) data = await middleware.openTelemetry(deviceId, batch.kind, data, record.timestamp);
      } catch (error) {
        refuse(deviceId, 'telemetry', error, { kind: batch.kind });
        continue;
      }
      records.push({ ...record, data });
    }
    return records.length > 0 ? { ...batch, records } : undefined;
  };

  const overrides: Partial<ControllerTransport> = {
    refused$: refused.asObservable(),
    state$: (deviceId) => transport.state$(deviceId).pipe(keepOpened((message) => openState(deviceId, message))),
    fleetStates$: transport.fleetStates$ && (() => transport.fleetStates$!().pipe(keepOpened((message) => openState(message.device_id, message)))),
    telemetry$: transport.telemetry$ && ((deviceId, kind) => transport.telemetry$!(deviceId, kind).pipe(keepOpened((batch) => openTelemetry(deviceId, batch)))),
    async getState(deviceId) {
      const message = await transport.getState(deviceId);
      // A refused latest message (someone wrote on the device's state topic) hides nothing genuine.
      return message && ((await openState(deviceId, message)) ?? lastGenuine.get(deviceId));
    },
    async invoke(deviceId, command, params = {}, options = {}) {
      const commandId = options.commandId ?? globalThis.crypto.randomUUID();
      let sealed: JsonObject = params;
      for (const middleware of middlewares) {
        if (middleware.sealCommand) sealed = await middleware.sealCommand({ deviceId, command, commandId, params: sealed });
      }
      let response: CommandResponse = await transport.invoke(deviceId, command, sealed, { ...options, commandId });
      try {
        for (const middleware of reversed) if (middleware.openResponse) response = await middleware.openResponse(deviceId, response);
      } catch (error) {
        const reason = refuse(deviceId, 'response', error, { commandId });
        return { command_id: commandId, command, success: false, error: { code: UNAUTHORIZED, message: `response refused: ${reason}` }, timestamp: Date.now() };
      }
      return response;
    },
    async setDesired(deviceId, patch) {
      let sealed = patch;
      for (const middleware of middlewares) if (middleware.sealDesired) sealed = await middleware.sealDesired(deviceId, sealed);
      await transport.setDesired(deviceId, sealed);
    },
  };
  // A proxy, so what a transport offers beyond the interface stays reachable.
  return new Proxy(transport, {
    get(target, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof ControllerTransport];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
