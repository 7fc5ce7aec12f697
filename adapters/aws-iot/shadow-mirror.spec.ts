import { describe, expect, it } from 'vitest';
import { ShadowMirror } from './shadow-mirror.js';

describe('ShadowMirror', () => {
  it('follows accepted updates in version order and passes desired changes on', () => {
    const mirror = new ShadowMirror();
    mirror.reset({ reported: { a: 1 }, desired: { v: 1 }, version: 4 });
    expect(mirror.applyForeign({ version: 5, state: { desired: { v: 2 }, reported: { b: 2 } } })).toEqual({ patch: { v: 2 }, full: false, version: 5 });
    expect(mirror.reported).toEqual({ a: 1, b: 2 });
    expect(mirror.desired).toEqual({ v: 2 });
    expect(mirror.version).toBe(5);
    mirror.applyOwn({ a: null }, 6);
    expect(mirror.reported).toEqual({ b: 2 });
    expect(mirror.applyForeign({ version: 7, state: { desired: null } })).toEqual({ patch: {}, full: true, version: 7 });
    expect(mirror.desired).toEqual({});
  });

  it('ignores what it already knows and forgets everything after a gap', () => {
    const mirror = new ShadowMirror();
    mirror.reset({ reported: { a: 1 }, version: 4 });
    expect(mirror.applyForeign({ version: 3, state: { reported: { a: 0 } } })).toBeUndefined();
    expect(mirror.reported).toEqual({ a: 1 });
    mirror.applyForeign({ version: 6, state: { reported: { a: 2 } } });
    expect(mirror.isSynced).toBe(false);
  });

  it('starts over on a patch it refuses to merge', () => {
    const mirror = new ShadowMirror();
    mirror.reset(undefined);
    expect(mirror.version).toBeUndefined();
    mirror.applyForeign(JSON.parse('{"version":1,"state":{"reported":{"__proto__":{"x":1}}}}'));
    expect(mirror.isSynced).toBe(false);
  });
});
