import { describe, expect, it } from 'vitest';
import { presenceOf } from './presence.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('presenceOf', () => {
  it('reads the status of a presence message', () => {
    expect(presenceOf(bytes(JSON.stringify({ device_id: 'd', status: 'online', timestamp: 1 })))).toBe('online');
    expect(presenceOf(JSON.stringify({ device_id: 'd', status: 'offline', reason: 'lost', timestamp: 1 }))).toBe('offline');
  });

  it('takes an empty retained payload as presence cleared', () => {
    expect(presenceOf(new Uint8Array())).toBe('unknown');
  });

  it('ignores what is not a presence message', () => {
    expect(presenceOf(bytes('not json'))).toBeUndefined();
    expect(presenceOf(bytes(JSON.stringify({ device_id: 'd', status: 'sleeping', timestamp: 1 })))).toBeUndefined();
    expect(presenceOf(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });
});
