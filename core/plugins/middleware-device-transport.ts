import { decodeCommand } from '../commands/decode.js';
import type { CommandResponse } from '../commands/types.js';
import type { Clock } from '../clock.js';
import { toErrorObject } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { JsonObject } from '../state/json.js';
import type { StateSnapshot } from '../state/snapshot.js';
import type { TelemetryBatch } from '../telemetry/types.js';
import type { DesiredUpdate, DeviceTransport, InboundCommand } from '../transport/device-transport.js';
import { keepOpened } from './keep-opened.js';
import { MiddlewareRefusal, UNAUTHORIZED, type MessageMiddleware } from './middleware.js';

/**
 * A device transport with message middleware applied: what goes out is sealed by each middleware
 * in order, what comes in is opened in reverse order. A command a middleware refuses is answered
 * `unauthorized` on the transport it came from and never reaches the agent; a refused desired
 * update is dropped. Commands keep their order (one is opened at a time).
 */
export function withDeviceMiddleware(
  transport: DeviceTransport,
  middlewares: readonly MessageMiddleware[],
  deviceId: string,
  logger: Logger,
  clock: Clock,
): DeviceTransport {
  if (middlewares.length === 0) return transport;
  const reversed = middlewares.toReversed();

  const openCommand = async (inbound: InboundCommand): Promise<InboundCommand | undefined> => {
    const decoded = decodeCommand(inbound, { maxPayloadBytes: transport.capabilities.maxPayloadBytes });
    // An undecodable command goes on: the dispatcher answers it with its own coded error.
    if (!decoded.ok) return inbound;
    const { command, command_id: commandId } = decoded.request;
    let params = decoded.request.params;
    try {
      for (const middleware of reversed) {
        if (middleware.openCommand) params = await middleware.openCommand({ deviceId, command, commandId, params });
      }
    } catch (error) {
      const reason = error instanceof MiddlewareRefusal ? error.message : 'verification failed';
      logger.warn({ transport: transport.id, command, command_id: commandId, reason }, 'command refused by middleware');
      const response: CommandResponse = {
        command_id: commandId,
        command,
        success: false,
        error: { code: UNAUTHORIZED, message: `command refused: ${reason}` },
        timestamp: clock.now(),
      };
      await transport.respond(inbound, await seal(response)).catch((failure: unknown) => {
        logger.warn({ transport: transport.id, command_id: commandId, err: toErrorObject(failure) }, 'command response failed');
      });
      return undefined;
    }
    return { ...inbound, payload: { ...decoded.request, params } };
  };

  const openDesired = async (update: DesiredUpdate): Promise<DesiredUpdate | undefined> => {
    let patch = update.patch;
    try {
      for (const middleware of reversed) if (middleware.openDesired) patch = await middleware.openDesired(deviceId, patch);
    } catch (error) {
      logger.warn({ transport: transport.id, reason: (error as Error).message }, 'desired state refused by middleware');
      return undefined;
    }
    return { ...update, patch };
  };

  const seal = async (response: CommandResponse): Promise<CommandResponse> => {
    let sealed = response;
    for (const middleware of middlewares) if (middleware.sealResponse) sealed = await middleware.sealResponse(deviceId, sealed);
    return sealed;
  };

  return {
    id: transport.id,
    capabilities: transport.capabilities,
    status$: transport.status$,
    commands$: transport.commands$.pipe(keepOpened(openCommand)),
    desired$: transport.desired$.pipe(keepOpened(openDesired)),
    start: (signal) => transport.start(signal),
    stop: () => transport.stop(),
    async publishState(snapshot: StateSnapshot, patch: JsonObject) {
      let state = snapshot.state;
      for (const middleware of middlewares) if (middleware.sealState) state = await middleware.sealState(deviceId, state);
      await transport.publishState({ ...snapshot, state }, sealedPatch(snapshot.state, state, patch));
    },
    async respond(command, response) {
      await transport.respond(command, await seal(response));
    },
    async publishTelemetry(batch: TelemetryBatch) {
      const records = [];
      for (const record of batch.records) {
        let data = record.data;
        for (const middleware of middlewares) if (middleware.sealTelemetry) data = await middleware.sealTelemetry(deviceId, batch.kind, data, record.timestamp);
        records.push({ ...record, data });
      }
      await transport.publishTelemetry({ ...batch, records });
    },
  };
}

/**
 * The merge patch to send beside a sealed state: a top-level section the middleware rewrote (an
 * encrypted section) is sent whole, sections it added (a signature) are sent, and the rest of
 * the patch is kept as core made it (deletions included).
 */
export function sealedPatch(plain: JsonObject, sealed: JsonObject, patch: JsonObject): JsonObject {
  const out: Record<string, JsonObject[string]> = {};
  for (const [key, value] of Object.entries(patch)) {
    out[key] = value !== null && sealed[key] !== plain[key] && sealed[key] !== undefined ? sealed[key]! : value;
  }
  for (const [key, value] of Object.entries(sealed)) if (!(key in plain)) out[key] = value;
  return out;
}
