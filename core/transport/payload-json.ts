import type { z } from 'zod';
import { TransportError } from '../errors.js';

/** JSON text in and out of a transport: parsing with a schema, and serialising within a size limit. */

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Parses a payload with a schema; undefined for anything that is not valid UTF-8 JSON of that shape. */
export function readPayload<S extends z.ZodType>(schema: S, payload: Uint8Array | string): z.output<S> | undefined {
  const value = parsePayload(payload);
  if (value === undefined) return undefined;
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** The JSON value a payload holds; undefined (which JSON cannot hold) for invalid UTF-8 or JSON. */
export function parsePayload(payload: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof payload === 'string' ? payload : decoder.decode(payload));
  } catch {
    return undefined;
  }
}

/**
 * Serialises an outgoing message to JSON text, refusing it with `payload_too_large` when its
 * UTF-8 size exceeds `maxPayloadBytes`; `what` names the message in the error.
 */
export function encodePayload(value: unknown, maxPayloadBytes: number, what: string): string {
  return sizedPayload(JSON.stringify(value), maxPayloadBytes, what);
}

/** `text` itself, or the `payload_too_large` error of encodePayload when its UTF-8 is over `maxPayloadBytes`. */
export function sizedPayload(text: string, maxPayloadBytes: number, what: string): string {
  // Encoding is only needed when the text could be too large (3 bytes per UTF-16 unit at most).
  const bytes = text.length * 3 <= maxPayloadBytes ? 0 : encoder.encode(text).byteLength;
  if (bytes > maxPayloadBytes) {
    throw new TransportError('payload_too_large', `${what} is ${bytes} bytes, more than maxPayloadBytes ${maxPayloadBytes}`, {
      details: { bytes, maxPayloadBytes },
    });
  }
  return text;
}
