import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TransportError } from '../errors.js';
import { encodePayload, readPayload } from './payload-json.js';

describe('encodePayload', () => {
  it('serialises within the limit', () => {
    expect(encodePayload({ a: 1 }, 100, 'x')).toBe('{"a":1}');
  });

  it('counts UTF-8 bytes, not characters', () => {
    const text = 'é'.repeat(40); // 80 bytes + quotes
    expect(() => encodePayload(text, 81, 'state')).toThrow(TransportError);
    expect(encodePayload(text, 82, 'state')).toBe(JSON.stringify(text));
  });

  it('refuses with payload_too_large and the sizes', () => {
    expect(refuse).toThrow(TransportError);
    expect(refuse).toThrow(/^telemetry batch is \d+ bytes, more than maxPayloadBytes 100$/);
    expect(refuse).toThrow(expect.objectContaining({ code: 'payload_too_large', details: { bytes: 211, maxPayloadBytes: 100 } }));
  });
});

describe('readPayload', () => {
  const schema = z.object({ a: z.number() });

  it('parses UTF-8 bytes or text of the schema', () => {
    expect(readPayload(schema, new TextEncoder().encode('{"a":1}'))).toEqual({ a: 1 });
    expect(readPayload(schema, '{"a":2}')).toEqual({ a: 2 });
  });

  it('is undefined for invalid UTF-8, invalid JSON or another shape', () => {
    expect(readPayload(schema, new Uint8Array([0xff, 0xfe]))).toBeUndefined();
    expect(readPayload(schema, '{"a":')).toBeUndefined();
    expect(readPayload(schema, '{"a":"x"}')).toBeUndefined();
  });
});

const refuse = (): string => encodePayload({ data: 'x'.repeat(200) }, 100, 'telemetry batch');
