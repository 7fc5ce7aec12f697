import { describe, expect, it } from 'vitest';
import { scanCommandId } from './scan-command-id.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('scanCommandId', () => {
  it('finds a string or numeric command_id anywhere, in bytes or text', () => {
    expect(scanCommandId(bytes(`{"params":{"v":"${'x'.repeat(1000)}"},"command_id":"abc-1"}`))).toBe('abc-1');
    expect(scanCommandId(bytes('{"command_id": 42, "command":"x"}'))).toBe('42');
    expect(scanCommandId(`{"command":"echo","command_id":"big-1","params":{"v":"${'x'.repeat(10)}`)).toBe('big-1');
  });

  it('returns undefined when there is none', () => {
    expect(scanCommandId(bytes('{"command":"x"}'))).toBeUndefined();
    expect(scanCommandId('{"command":"echo"}')).toBeUndefined();
    expect(scanCommandId(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });
});
