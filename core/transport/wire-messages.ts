import { z } from 'zod';
import type { CommandResponse } from '../commands/types.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { StateChangeRecord } from '../state/state-changes.js';
import { parsePayload } from './payload-json.js';

/**
 * The JSON payloads of the generic MQTT wire protocol (docs/protocol.md) that core's own types do
 * not cover, and the schemas a controller reads them with (anything a broker delivers may be
 * malformed). The MQTT and AWS IoT transports carry them unchanged on their own topic layouts.
 */

/** Why a device went offline: it said goodbye, the broker published its will, or it is rebooting. */
export type OfflineReason = 'graceful' | 'lost' | 'reboot';

/** The presence message on a device's `connection` topic (retained where the broker can). */
export interface ConnectionMessage {
  readonly device_id: string;
  readonly status: 'online' | 'offline';
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly reason?: OfflineReason;
}

/** One telemetry batch of one kind. */
export interface TelemetryMessage {
  readonly device_id: string;
  readonly kind: string;
  /** `id` is unique per record (consumers drop QoS 1 duplicates by it); absent from older agents. */
  readonly records: readonly { readonly id?: string; readonly data: JsonValue; readonly timestamp: number }[];
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/** Any JSON object. */
export const jsonObjectSchema = z.record(z.string(), jsonValue) as unknown as z.ZodType<JsonObject>;

/**
 * A JSON object fresh from JSON.parse (readPayload), which yields nothing but JSON: only the top
 * level needs checking. Walking a ~400-byte state value by value through `jsonValue`'s recursive
 * union cost ~25 us, more than parsing it, on every state a controller reads.
 */
const parsedJsonObject = z.custom<JsonObject>(isJsonObject, { error: 'expected a JSON object' });

function deviceStateMessage(state: z.ZodType<JsonObject>): z.ZodType<DeviceStateMessage> {
  return z.object({ device_id: z.string(), state, version: z.number(), timestamp: z.number() });
}

export const deviceStateMessageSchema = deviceStateMessage(jsonObjectSchema);

/** The same shape for a state message fresh from JSON.parse (see parsedJsonObject). */
export const parsedDeviceStateMessageSchema = deviceStateMessage(parsedJsonObject);

export const connectionMessageSchema: z.ZodType<ConnectionMessage> = z.object({
  device_id: z.string(),
  status: z.enum(['online', 'offline']),
  timestamp: z.number(),
  reason: z.enum(['graceful', 'lost', 'reboot']).optional(),
});

/** A command response whose `result` and `error.details` are checked with `json`. */
function commandResponse(json: z.ZodType<JsonValue>): z.ZodType<CommandResponse> {
  // Loose objects: keys a middleware adds (a signature) reach the controller's middleware.
  return z.union([
    z.looseObject({
      command_id: z.string(),
      command: z.string(),
      success: z.literal(true),
      result: json.optional(),
      timestamp: z.number(),
    }),
    z.looseObject({
      command_id: z.string(),
      command: z.string(),
      success: z.literal(false),
      error: z.object({ code: z.string(), message: z.string(), details: json.optional() }),
      timestamp: z.number(),
    }),
  ]);
}

export const commandResponseSchema = commandResponse(jsonValue);

/**
 * The same shape for a response fresh from JSON.parse (readPayload), whose `result` and
 * `error.details` are JSON by construction: walking them value by value through `jsonValue`'s
 * recursive union cost a controller more per command than the rest of reading the response.
 */
export const parsedCommandResponseSchema = commandResponse(z.custom<JsonValue>());

/**
 * A command response payload as parsedCommandResponseSchema reads it, or undefined. The usual
 * answer (a success) is recognised by four type checks and used as JSON.parse made it: the
 * schema's union of loose objects copies every key of it, which cost a controller more per
 * command than the rest of reading the answer. Anything else (failures, odd shapes) goes
 * through the schema.
 */
export function readCommandResponse(payload: Uint8Array | string): CommandResponse | undefined {
  const value = parsePayload(payload);
  if (isPlainSuccess(value)) return value;
  const result = parsedCommandResponseSchema.safeParse(value);
  return result.success ? result.data : undefined;
}

function isPlainSuccess(value: unknown): value is CommandResponse {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    candidate['success'] === true &&
    typeof candidate['command_id'] === 'string' &&
    typeof candidate['command'] === 'string' &&
    typeof candidate['timestamp'] === 'number'
  );
}

/** The data of a `state_change` telemetry record (core/state/state-changes.ts). */
export const stateChangeRecordSchema: z.ZodType<StateChangeRecord> = z.object({
  version: z.number(),
  patch: jsonObjectSchema,
});

function telemetryMessage(data: z.ZodType<JsonValue>): z.ZodType<TelemetryMessage> {
  return z.object({
    device_id: z.string(),
    kind: z.string(),
    records: z.array(z.object({ id: z.string().optional(), data, timestamp: z.number() })),
  });
}

export const telemetryMessageSchema = telemetryMessage(jsonValue);

/** The same shape for a telemetry batch fresh from JSON.parse, whose records' data is JSON by construction. */
export const parsedTelemetryMessageSchema = telemetryMessage(z.custom<JsonValue>());
