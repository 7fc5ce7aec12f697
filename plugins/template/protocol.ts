import { z } from 'zod';
import {
  encodePayload,
  findJsonProblem,
  isJsonObject,
  readPayload,
  type CommandResponse,
  type DeviceStateMessage,
  type JsonObject,
  type JsonValue,
} from '../../core/index.js';

/**
 * The ws-hub wire protocol: one JSON object per WebSocket text frame. A client says `hello` with
 * its role; the hub answers `welcome` (or closes with 4401 for a wrong token). The hub keeps the
 * latest state and the presence of every device ("retained", like MQTT) and the desired document,
 * fans device output out to every controller, and routes each command answer to the controller
 * that asked.
 *
 * | from       | frame                                           | hub does                                     |
 * |------------|-------------------------------------------------|----------------------------------------------|
 * | device     | `state {message}`                               | keeps it, sends it to every controller       |
 * | device     | `response {to, response}`                       | sends it to controller `to`                  |
 * | device     | `telemetry {kind, records}`                     | sends it (with deviceId) to every controller |
 * | device     | `bye`                                           | the coming close is graceful, not lost       |
 * | controller | `command {deviceId, payload or bytes}`          | forwards it with `from` (drops it if offline)|
 * | controller | `desired {deviceId, patch}`                     | merges it into the device's desired, forwards|
 *
 * Presence is the hub's: `online` at a device's hello, `offline` with reason `graceful` after
 * `bye`, `lost` when the socket dies without one. A controller's welcome comes after every kept
 * state and presence, so at `welcome` its view is complete.
 */

/** WebSocket close codes of the protocol (4000-4999 are free for applications). */
export const CLOSE_CODES = {
  /** The token was missing or wrong; retrying cannot help. */
  unauthorized: 4401,
  /** The first frame was not a valid hello, or a frame made no sense. */
  protocolError: 4400,
  /** Another connection took over this device id. */
  replaced: 4409,
} as const;

const jsonValue = z.custom<JsonValue>((value) => findJsonProblem(value) === undefined, { error: 'expected JSON without unsafe keys' });
const jsonObject = z.custom<JsonObject>((value) => isJsonObject(value) && findJsonProblem(value) === undefined, {
  error: 'expected a JSON object without unsafe keys',
});
const deviceId = z.string().min(1).max(256);
const records = z.array(z.strictObject({ data: jsonValue, timestamp: z.number() }));
const stateMessage = z.strictObject({ device_id: z.string(), state: jsonObject, version: z.number(), timestamp: z.number() });
const commandResponse = z.custom<CommandResponse>(
  (value) => isJsonObject(value) && typeof value['command_id'] === 'string' && typeof value['success'] === 'boolean',
  { error: 'expected a command response' },
);
/** A command's payload travels as text, or as base64 `bytes` when it is not text (malformed input must arrive as sent). */
const commandBody = { payload: z.string().optional(), bytes: z.string().optional() };

// A plain union: the two hello frames share their discriminator value.
export const clientFrameSchema = z.union([
  z.strictObject({ type: z.literal('hello'), role: z.literal('device'), deviceId, token: z.string().optional() }),
  z.strictObject({ type: z.literal('hello'), role: z.literal('controller'), token: z.string().optional() }),
  z.strictObject({ type: z.literal('state'), message: stateMessage }),
  z.strictObject({ type: z.literal('response'), to: z.string(), response: commandResponse }),
  z.strictObject({ type: z.literal('telemetry'), kind: z.string().min(1), records }),
  z.strictObject({ type: z.literal('bye') }),
  z.strictObject({ type: z.literal('command'), deviceId, ...commandBody }),
  z.strictObject({ type: z.literal('desired'), deviceId, patch: jsonObject }),
]);

export const hubFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('welcome'), desired: jsonObject.optional() }),
  z.strictObject({ type: z.literal('command'), from: z.string(), ...commandBody }),
  z.strictObject({ type: z.literal('desired'), patch: jsonObject }),
  z.strictObject({ type: z.literal('state'), message: stateMessage }),
  z.strictObject({
    type: z.literal('presence'),
    deviceId,
    status: z.enum(['online', 'offline']),
    reason: z.enum(['graceful', 'lost']).optional(),
    timestamp: z.number(),
  }),
  z.strictObject({ type: z.literal('response'), response: commandResponse }),
  z.strictObject({ type: z.literal('telemetry'), deviceId, kind: z.string(), records }),
]);

/** A frame a device or controller sends. */
export type ClientFrame = z.output<typeof clientFrameSchema>;
/** A frame the hub sends. */
export type HubFrame = z.output<typeof hubFrameSchema>;
export type PresenceFrame = Extract<HubFrame, { type: 'presence' }>;
export type TelemetryFrame = Extract<HubFrame, { type: 'telemetry' }>;
export type StateFrame = { readonly type: 'state'; readonly message: DeviceStateMessage };

/** Parses one received frame; undefined for anything that is not a frame of `schema` (a hub must survive junk). */
export function parseFrame<S extends z.ZodType>(schema: S, data: string | Uint8Array): z.output<S> | undefined {
  return readPayload(schema, data);
}

/** Serialises a frame, refusing it with `payload_too_large` beyond `maxBytes` (UTF-8). */
export function encodeFrame(frame: ClientFrame | HubFrame, maxBytes: number, what: string): string {
  return encodePayload(frame, maxBytes, what);
}

/** The payload of a `command` frame as core's decoder takes it: text, or the original bytes. */
export function commandPayload(frame: { readonly payload?: string; readonly bytes?: string }): string | Uint8Array | undefined {
  if (frame.bytes !== undefined) return Uint8Array.from(atob(frame.bytes), (char) => char.charCodeAt(0));
  return frame.payload;
}

/** The body of a `command` frame for a payload: text as is, bytes as base64. */
export function commandBodyOf(payload: string | Uint8Array): { payload: string } | { bytes: string } {
  if (typeof payload === 'string') return { payload };
  let binary = '';
  for (const byte of payload) binary += String.fromCharCode(byte);
  return { bytes: btoa(binary) };
}
