import { TransportError } from '../../core/errors.js';

const encoder = new TextEncoder();

/** UTF-8 length of a string; skips encoding when it cannot exceed `limit` (3 bytes per UTF-16 unit at most). */
function exceeds(text: string, limit: number): number | undefined {
  if (text.length * 3 <= limit) return undefined;
  const bytes = encoder.encode(text).byteLength;
  return bytes > limit ? bytes : undefined;
}

/**
 * Serialises an outgoing message to JSON text (mqtt.js takes strings on every platform),
 * refusing it with `payload_too_large` when it exceeds the configured limit.
 */
export function encodePayload(value: unknown, maxPayloadBytes: number, what: string): string {
  const text = JSON.stringify(value);
  const bytes = exceeds(text, maxPayloadBytes);
  if (bytes !== undefined) {
    throw new TransportError('payload_too_large', `${what} is ${bytes} bytes, more than maxPayloadBytes ${maxPayloadBytes}`, {
      details: { bytes, maxPayloadBytes },
    });
  }
  return text;
}

const decoder = new TextDecoder();

/**
 * Finds a `command_id` in a payload too large to parse, so the refusal can still be addressed.
 * A plain scan for the first `"command_id"` member with a string or number value.
 */
export function scanCommandId(payload: Uint8Array): string | undefined {
  const match = /"command_id"\s*:\s*(?:"([^"\\]{1,256})"|(-?\d{1,20}))/.exec(decoder.decode(payload));
  return match?.[1] ?? match?.[2];
}
