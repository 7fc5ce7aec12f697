import { describe, expect, it } from 'vitest';
import { ShadowStore } from './shadow-store.js';

const thing = { thingName: 'player-001' };
const json = (value: unknown): string => JSON.stringify(value);

function store(): ShadowStore {
  let now = 1_700_000_000_000;
  return new ShadowStore({ now: () => (now += 1000) });
}

describe('ShadowStore', () => {
  it('creates a shadow, bumps the version on every accepted update and echoes the clientToken', () => {
    const shadows = store();
    const first = shadows.update(thing, json({ state: { reported: { volume: 30 } }, clientToken: 't1' }));
    expect(first.ok && first.accepted).toMatchObject({ state: { reported: { volume: 30 } }, version: 1, clientToken: 't1' });
    expect(first.ok && first.accepted.metadata.reported).toEqual({ volume: { timestamp: expect.any(Number) } });
    expect(first.ok && first.documents.previous).toBeUndefined();
    const second = shadows.update(thing, json({ state: { reported: { volume: 31 } } }));
    expect(second.ok && second.accepted.version).toBe(2);
    expect(second.ok && second.documents).toMatchObject({
      previous: { state: { reported: { volume: 30 } }, version: 1 },
      current: { state: { reported: { volume: 31 } }, version: 2 },
    });
  });

  it('publishes a delta with the desired members reported does not match, once per change', () => {
    const shadows = store();
    shadows.update(thing, json({ state: { reported: { audio: { volume: 30, device: 'hw:0' } } } }));
    const desired = shadows.update(thing, json({ state: { desired: { audio: { volume: 40, device: 'hw:0' } } } }));
    expect(desired.ok && desired.delta?.state).toEqual({ audio: { volume: 40 } });
    expect(desired.ok && desired.delta?.metadata).toEqual({ audio: { volume: { timestamp: expect.any(Number) } } });
    const unrelated = shadows.update(thing, json({ state: { reported: { playback: 'playing' } } }));
    expect(unrelated.ok && unrelated.delta).toBeUndefined();
    const satisfied = shadows.update(thing, json({ state: { reported: { audio: { volume: 40 } } } }));
    expect(satisfied.ok && satisfied.delta).toBeUndefined();
    const got = shadows.get(thing);
    expect(got.ok && got.accepted.state.delta).toBeUndefined();
  });

  it('answers GET with state, delta, metadata and version; 404 for a missing shadow', () => {
    const shadows = store();
    const missing = shadows.get(thing, json({ clientToken: 'g' }));
    expect(missing).toEqual({ ok: false, error: { code: 404, message: "No shadow exists with name: 'player-001'", clientToken: 'g' } });
    shadows.update(thing, json({ state: { desired: { volume: 40 }, reported: { volume: 30, mode: 'a' } } }));
    const got = shadows.get(thing);
    expect(got.ok && got.accepted).toMatchObject({
      state: { desired: { volume: 40 }, reported: { volume: 30, mode: 'a' }, delta: { volume: 40 } },
      metadata: { desired: { volume: {} }, reported: { mode: {} } },
      version: 1,
    });
  });

  it('refuses a stale version with 409 and accepts the current one', () => {
    const shadows = store();
    shadows.update(thing, json({ state: { reported: { a: 1 } } }));
    const stale = shadows.update(thing, json({ state: { reported: { a: 2 } }, version: 0, clientToken: 'c' }));
    expect(stale).toEqual({ ok: false, error: { code: 409, message: 'Version conflict', clientToken: 'c' } });
    const current = shadows.update(thing, json({ state: { reported: { a: 2 } }, version: 1 }));
    expect(current.ok && current.accepted.version).toBe(2);
  });

  it('deletes keys with null leaves and sections with null, dropping their metadata', () => {
    const shadows = store();
    shadows.update(thing, json({ state: { desired: { a: 1, b: { c: 2 } }, reported: { a: 1 } } }));
    shadows.update(thing, json({ state: { desired: { b: { c: null } } } }));
    let got = shadows.get(thing);
    expect(got.ok && got.accepted.state.desired).toEqual({ a: 1, b: {} });
    shadows.update(thing, json({ state: { desired: null } }));
    got = shadows.get(thing);
    expect(got.ok && got.accepted.state).toEqual({ reported: { a: 1 } });
    expect(got.ok && got.accepted.metadata).toEqual({ reported: { a: { timestamp: expect.any(Number) } } });
  });

  it('answers the 400 cases', () => {
    const shadows = store();
    const cases: [string, string][] = [
      ['{not json', 'Invalid JSON'],
      [json({ clientToken: 'x' }), 'Missing required node: state'],
      [json({ state: 3 }), 'State node must be an object'],
      [json({ state: { desired: [1] } }), 'Desired node must be an object'],
      [json({ state: { reported: 'x' } }), 'Reported node must be an object'],
      [json({ state: {}, version: -1 }), 'Invalid version'],
      [json({ state: {}, clientToken: 'x'.repeat(65) }), 'clientToken is longer than 64 bytes'],
      [json({ state: { desired: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } } } }), 'JSON contains too many levels of nesting; maximum is 6'],
      [json({ state: { desired: { list: [1, null] } } }), 'Arrays may not contain null values'],
      ['{"state":{"desired":{"__proto__":{"x":1}}}}', 'Invalid state: key "__proto__" is not allowed (at "__proto__")'],
    ];
    for (const [payload, message] of cases) {
      const outcome = shadows.update(thing, payload);
      expect({ payload, answer: outcome.ok ? 'accepted' : outcome.error }).toMatchObject({ payload, answer: { code: 400, message } });
    }
    const sixLevels = shadows.update(thing, json({ state: { desired: { a: { b: { c: { d: { e: { f: 1 } } } } } } } }));
    expect(sixLevels.ok).toBe(true);
  });

  it('refuses a state over 8 KB with 413 and keeps the previous state', () => {
    const shadows = store();
    shadows.update(thing, json({ state: { reported: { small: 1 } } }));
    const big = shadows.update(thing, json({ state: { reported: { blob: 'x'.repeat(8200) } }, clientToken: 'big' }));
    expect(big).toMatchObject({ ok: false, error: { code: 413, clientToken: 'big' } });
    const got = shadows.get(thing);
    expect(got.ok && got.accepted).toMatchObject({ state: { reported: { small: 1 } }, version: 1 });
  });

  it('keeps the version across a delete and answers 404 for deleting twice', () => {
    const shadows = store();
    shadows.update(thing, json({ state: { reported: { a: 1 } } }));
    shadows.update(thing, json({ state: { reported: { a: 2 } } }));
    const deleted = shadows.delete(thing, json({ clientToken: 'd' }));
    expect(deleted).toMatchObject({ ok: true, accepted: { version: 2, clientToken: 'd' } });
    expect(shadows.delete(thing)).toMatchObject({ ok: false, error: { code: 404 } });
    expect(shadows.get(thing).ok).toBe(false);
    const recreated = shadows.update(thing, json({ state: { reported: { a: 3 } } }));
    expect(recreated.ok && recreated.accepted.version).toBe(3);
    expect(recreated.ok && recreated.documents.previous).toBeUndefined();
  });

  it('keeps named shadows apart from the classic one and lists them', () => {
    const shadows = store();
    shadows.update({ thingName: 'player-001', shadowName: 'config' }, json({ state: { desired: { mode: 'a' } } }));
    shadows.update({ thingName: 'player-001', shadowName: 'audio' }, json({ state: { reported: { v: 1 } } }));
    shadows.update({ thingName: 'player-002', shadowName: 'other' }, json({ state: { reported: { v: 1 } } }));
    expect(shadows.get(thing).ok).toBe(false);
    expect(shadows.listNamedShadows('player-001')).toEqual(['audio', 'config']);
    shadows.delete({ thingName: 'player-001', shadowName: 'audio' });
    expect(shadows.listNamedShadows('player-001')).toEqual(['config']);
  });
});
