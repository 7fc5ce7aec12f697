import { z } from 'zod';
import type { CommandResponse } from '../../core/commands/types.js';
import type { JsonObject, JsonValue } from '../../core/state/json.js';

/**
 * The generic MQTT protocol's payloads (docs/protocol.md), which the AWS transport carries
 * unchanged on its own topics; repeated here because adapters do not import each other.
 */

/** Why a device went offline: it said goodbye, or the broker published its will. */
export type OfflineReason = 'graceful' | 'lost';

/** The presence message on `{p}/devices/{thing}/connection`. */
export interface ConnectionMessage {
  readonly device_id: string;
  readonly status: 'online' | 'offline';
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly reason?: OfflineReason;
}

/** One batch on `{p}/telemetry/{thing}/{kind}`. */
export interface TelemetryMessage {
  readonly device_id: string;
  readonly kind: string;
  readonly records: readonly { readonly data: JsonValue; readonly timestamp: number }[];
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const connectionMessageSchema: z.ZodType<ConnectionMessage> = z.object({
  device_id: z.string(),
  status: z.enum(['online', 'offline']),
  timestamp: z.number(),
  reason: z.enum(['graceful', 'lost']).optional(),
});

const errorObject = z.object({ code: z.string(), message: z.string(), details: jsonValue.optional() });

export const commandResponseSchema: z.ZodType<CommandResponse> = z.union([
  z.object({ command_id: z.string(), command: z.string(), success: z.literal(true), result: jsonValue.optional(), timestamp: z.number() }),
  z.object({ command_id: z.string(), command: z.string(), success: z.literal(false), error: errorObject, timestamp: z.number() }),
]);

export const telemetryMessageSchema: z.ZodType<TelemetryMessage> = z.object({
  device_id: z.string(),
  kind: z.string(),
  records: z.array(z.object({ data: jsonValue, timestamp: z.number() })),
});

export const jsonObjectSchema = z.record(z.string(), jsonValue) as unknown as z.ZodType<JsonObject>;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a payload with a schema; undefined for anything that is not UTF-8 JSON of that shape. */
export function readPayload<T>(schema: z.ZodType<T>, payload: Uint8Array | string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload)));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
