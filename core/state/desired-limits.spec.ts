import { describe, expect, it } from 'vitest';
import { DeviceState } from './device-state.js';

describe('desired-state limits', () => {
  it('refuses a patch that would make desired state too large, keeping the last good state', () => {
    const state = new DeviceState(undefined, undefined, undefined, { maxBytes: 1_000, maxKeys: 50 });
    state.setDesired({ audio: { volume: 40 } });
    expect(() => state.setDesired({ blob: 'x'.repeat(2_000) })).toThrowError(expect.objectContaining({ code: 'payload_too_large' }));
    expect(state.desiredState).toEqual({ audio: { volume: 40 } });
    // Multi-byte text counts in UTF-8 bytes.
    expect(() => state.setDesired({ blob: 'é'.repeat(600) })).toThrowError(/bytes/);
  });

  it('refuses too many keys, nested ones included', () => {
    const state = new DeviceState(undefined, undefined, undefined, { maxKeys: 10 });
    // Six members with one nested member each: 12 keys.
    const many = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, { a: 1 }]));
    expect(() => state.setDesired(many)).toThrowError(expect.objectContaining({ code: 'payload_too_large', details: { keys: 12, maxKeys: 10 } }) as Error);
    expect(state.desiredState).toEqual({});
  });

  it('has defaults that allow normal documents and stop runaway ones', () => {
    const state = new DeviceState();
    state.setDesired({ audio: { volume: 40 }, content: { default_playlist: 'Focus' } });
    expect(() => state.setDesired({ blob: 'x'.repeat(200_000) })).toThrowError(expect.objectContaining({ code: 'payload_too_large' }));
    expect(state.desiredState).toEqual({ audio: { volume: 40 }, content: { default_playlist: 'Focus' } });
  });
});
