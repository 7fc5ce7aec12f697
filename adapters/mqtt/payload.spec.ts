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
    try {
      encodePayload({ data: 'x'.repeat(200) }, 100, 'telemetry batch');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).toJSON()).toMatchObject({
        code: 'payload_too_large',
        details: { maxPayloadBytes: 100 },
      });
      expect((error as TransportError).message).toMatch(/^telemetry batch is \d+ bytes/);
    }
  });
});

describe('scanCommandId', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('finds a string or numeric command_id anywhere', () => {
    expect(scanCommandId(bytes(`{"params":{"v":"${'x'.repeat(1000)}"},"command_id":"abc-1"}`))).toBe('abc-1');
    expect(scanCommandId(bytes('{"command_id": 42, "command":"x"}'))).toBe('42');
  });

  it('returns undefined when there is none', () => {
    expect(scanCommandId(bytes('{"command":"x"}'))).toBeUndefined();
    expect(scanCommandId(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });
});
