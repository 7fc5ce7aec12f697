import { describe, expect, it } from 'vitest';
import { TransportError } from '../../core/errors.js';
import { encodePayload, scanCommandId } from './payload.js';

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

const refuse = (): string => encodePayload({ data: 'x'.repeat(200) }, 100, 'telemetry batch');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('scanCommandId', () => {
  it('finds a string or numeric command_id anywhere', () => {
    expect(scanCommandId(bytes(`{"params":{"v":"${'x'.repeat(1000)}"},"command_id":"abc-1"}`))).toBe('abc-1');
    expect(scanCommandId(bytes('{"command_id": 42, "command":"x"}'))).toBe('42');
  });

  it('returns undefined when there is none', () => {
    expect(scanCommandId(bytes('{"command":"x"}'))).toBeUndefined();
    expect(scanCommandId(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });
});
