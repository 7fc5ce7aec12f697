/**
 * Turns what a transport received into a CommandRequest, or into a coded error that can be
 * answered. Never throws, whatever the input.
 *
 * Decisions:
 * - Payload forms: bytes (must be UTF-8), text, or an already-parsed JSON value. An empty or
 *   absent payload means "no body".
 * - Size is checked first, in UTF-8 bytes (for a parsed value, of its JSON text):
 *   `payload_too_large` with `details: {maxPayloadBytes}`. Such a payload is not parsed; its
 *   refusal is addressed to `inbound.requestId`, or else to the first `"command_id"` member a
 *   plain text scan finds in bytes or text (so transports need not look for it themselves).
 * - Every other problem is `invalid_params` with `details.field` naming the offending field:
 *   `payload` (not JSON, not an object), `command`, `command_id`, `params` or `params.<path>`
 *   (a `__proto__` / `constructor` / `prototype` key, a value nested deeper than 64 levels).
 * - In-band form (no `inbound.command`): the payload is `{command, command_id, params?, timestamp?}`.
 * - Out-of-band form (`inbound.command` set, e.g. an Azure direct method name): the name comes from
 *   the transport and wins over any `command` in the body. The body is either a wrapper
 *   `{command_id?, params?}` (recognised by an own `command_id` or `params` member) or the params
 *   object itself; no body means `{}` params.
 * - `command_id` may be a string or a finite number (stringified); when absent, `inbound.requestId`
 *   stands in. With neither, there is nothing to answer to: the result is an error without
 *   `commandId`, which the dispatcher only logs.
 * - `params: null` is read as "no params" (`{}`); any other non-object `params` is refused.
 * - `timestamp` is informational: kept when it is a finite number, ignored otherwise. It never
 *   expires a command (the AmoraOS examples carry a fixed 2021 timestamp).
 * - `expires_at` (epoch ms, optional) is kept for the dispatcher, which answers `expired` past it;
 *   anything but a finite number is refused (`invalid_params`, field `expires_at`).
 * - Errors carry `commandId` / `command` whenever they could be read, so the answer can be addressed.
 */
import type { ErrorObject } from '../errors.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import { isJsonObject } from '../state/json.js';
import { findJsonProblem } from '../state/json-guard.js';
import type { InboundCommand } from '../transport/device-transport.js';
import { scanCommandId } from './scan-command-id.js';
import type { CommandRequest } from './types.js';

export interface DecodeLimits {
  /** Largest accepted payload in UTF-8 bytes. */
  readonly maxPayloadBytes: number;
}

export type DecodeResult =
  | { readonly ok: true; readonly request: CommandRequest }
  | { readonly ok: false; readonly commandId?: string; readonly command?: string; readonly error: ErrorObject };

type Failure = Extract<DecodeResult, { ok: false }>;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Decodes and checks an inbound command; see the module comment for the rules. */
export function decodeCommand(inbound: InboundCommand, limits: DecodeLimits): DecodeResult {
  try {
    return decode(inbound, limits);
  } catch (error) {
    // Unreachable by design; kept so a bug here still ends in a coded error, not a throw.
    return fail('invalid_params', `could not decode command: ${error instanceof Error ? error.message : String(error)}`, 'payload');
  }
}

function decode(inbound: InboundCommand, limits: DecodeLimits): DecodeResult {
  const outOfBand = inbound.command !== undefined;
  const requestId = typeof inbound.requestId === 'string' && inbound.requestId !== '' ? inbound.requestId : undefined;

  const value = readBody(inbound.payload, limits.maxPayloadBytes);
  if (value instanceof BodyFailure) {
    const payload = inbound.payload;
    const scan = requestId === undefined && value.error.code === 'payload_too_large' && (typeof payload === 'string' || payload instanceof Uint8Array);
    const commandId = scan ? scanCommandId(payload) : requestId;
    return { ok: false, ...present({ ...early(inbound, requestId), commandId }), error: value.error };
  }

  if (outOfBand) {
    if (typeof inbound.command !== 'string' || inbound.command === '') {
      return fail('invalid_params', 'command name must be a non-empty string', 'command', early(inbound, requestId));
    }
    if (value === undefined || value === null) return request(inbound.command, requestId, {}, undefined);
    if (!isJsonObject(value)) return fail('invalid_params', 'params must be a JSON object', 'params', early(inbound, requestId));
    const wrapped = Object.hasOwn(value, 'command_id') || Object.hasOwn(value, 'params');
    if (!wrapped) return request(inbound.command, requestId, value, undefined);
    return fromEnvelope(value, inbound.command, requestId);
  }

  if (!isJsonObject(value)) {
    return fail('invalid_params', 'command payload must be a JSON object', 'payload', early(inbound, requestId));
  }
  return fromEnvelope(value, undefined, requestId);
}

/** What an error can be addressed to before the body is read (made on failure paths only). */
function early(inbound: InboundCommand, requestId: string | undefined): { commandId: string | undefined; command: string | undefined } {
  return { commandId: requestId, command: typeof inbound.command === 'string' ? inbound.command : undefined };
}

/** Reads `{command?, command_id?, params?, timestamp?}`; `name` is the out-of-band command name. */
function fromEnvelope(envelope: JsonObject, name: string | undefined, requestId: string | undefined): DecodeResult {
  const idValue = envelope['command_id'];
  let commandId: string | undefined;
  let idProblem = false;
  if (typeof idValue === 'string' && idValue !== '') commandId = idValue;
  else if (typeof idValue === 'number' && Number.isFinite(idValue)) commandId = String(idValue);
  else if (idValue === undefined) commandId = requestId;
  else idProblem = true;

  const commandValue = name ?? envelope['command'];
  const command = typeof commandValue === 'string' && commandValue !== '' ? commandValue : undefined;

  if (idProblem) {
    return fail('invalid_params', 'command_id must be a non-empty string or a number', 'command_id', { commandId, command });
  }
  if (command === undefined) return fail('invalid_params', 'command must be a non-empty string', 'command', { commandId, command });
  if (commandId === undefined) return fail('invalid_params', 'command_id is required', 'command_id', { commandId, command });

  const paramsValue = envelope['params'];
  if (paramsValue !== undefined && paramsValue !== null && !isJsonObject(paramsValue)) {
    return fail('invalid_params', 'params must be a JSON object', 'params', { commandId, command });
  }
  const expiresAt = envelope['expires_at'];
  if (expiresAt !== undefined && (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt))) {
    return fail('invalid_params', 'expires_at must be epoch milliseconds (a number)', 'expires_at', { commandId, command });
  }
  const timestamp = envelope['timestamp'];
  return request(command, commandId, paramsValue ?? {}, typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : undefined, expiresAt);
}

function request(command: string, commandId: string | undefined, params: JsonObject, timestamp: number | undefined, expiresAt?: number): DecodeResult {
  if (commandId === undefined) return fail('invalid_params', 'command_id is required', 'command_id', { command });
  const problem = findJsonProblem(params);
  if (problem) {
    const field = problem.path === '' ? 'params' : `params.${problem.path}`;
    return fail('invalid_params', `invalid params: ${problem.message}`, field, { commandId, command });
  }
  // Members added to a literal, not spread onto a copy: on Node 20 that copy is slow to build and to stringify.
  const decoded: { -readonly [K in keyof CommandRequest]: CommandRequest[K] } = { command, command_id: commandId, params };
  if (timestamp !== undefined) decoded.timestamp = timestamp;
  if (expiresAt !== undefined) decoded.expires_at = expiresAt;
  return { ok: true, request: decoded };
}

/** A payload that cannot be read; anything else readBody returns is the body. */
class BodyFailure {
  constructor(readonly error: ErrorObject) {}
}

/**
 * Checks the size and parses the payload; `undefined` stands for "no body". The value itself (not
 * a wrapper) on success: one object less per command.
 */
function readBody(payload: InboundCommand['payload'], maxPayloadBytes: number): JsonValue | undefined | BodyFailure {
  if (payload === undefined) return undefined;
  let text: string;
  if (payload instanceof Uint8Array) {
    if (payload.byteLength > maxPayloadBytes) return tooLarge(maxPayloadBytes);
    try {
      text = utf8Decoder.decode(payload);
    } catch {
      return invalid('payload is not valid UTF-8', 'payload');
    }
  } else if (typeof payload === 'string') {
    if (utf8Length(payload, maxPayloadBytes) > maxPayloadBytes) return tooLarge(maxPayloadBytes);
    text = payload;
  } else {
    // Already parsed by the transport: refuse anything JSON cannot carry before measuring it.
    const problem = findJsonProblem(payload);
    if (problem) return invalid(`payload is not acceptable JSON: ${problem.message}`, 'payload');
    const json = JSON.stringify(payload);
    if (utf8Length(json, maxPayloadBytes) > maxPayloadBytes) return tooLarge(maxPayloadBytes);
    return payload;
  }
  if (text.trim() === '') return undefined;
  try {
    // JSON.parse defines `__proto__` as an own key instead of setting the prototype; the guard in
    // request() then refuses such keys, so they never reach code that copies by assignment.
    return JSON.parse(text) as JsonValue;
  } catch {
    return invalid('payload is not valid JSON', 'payload');
  }
}

/** UTF-8 byte length, computed exactly only when the cheap bounds cannot decide against `limit`. */
function utf8Length(text: string, limit: number): number {
  // Each UTF-16 unit takes 1 to 3 UTF-8 bytes (a surrogate pair takes 4 for 2 units).
  if (text.length > limit) return text.length;
  if (text.length * 3 <= limit) return text.length;
  return utf8Encoder.encode(text).byteLength;
}

function tooLarge(maxPayloadBytes: number): BodyFailure {
  return new BodyFailure({ code: 'payload_too_large', message: `payload exceeds ${maxPayloadBytes} bytes`, details: { maxPayloadBytes } });
}

function invalid(message: string, field: string): BodyFailure {
  return new BodyFailure({ code: 'invalid_params', message, details: { field } });
}

function fail(
  code: string,
  message: string,
  field: string,
  known: { commandId?: string | undefined; command?: string | undefined } = {},
): Failure {
  return { ok: false, ...present(known), error: { code, message, details: { field } } };
}

/** Drops undefined members so results compare cleanly and `'commandId' in result` means something. */
function present(known: { commandId?: string | undefined; command?: string | undefined }): {
  commandId?: string;
  command?: string;
} {
  const result: { commandId?: string; command?: string } = {};
  if (known.commandId !== undefined) result.commandId = known.commandId;
  if (known.command !== undefined) result.command = known.command;
  return result;
}
