import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from './json.js';
import { isUnsafeKey } from './json-guard.js';
import { applyMergePatch } from './merge-patch.js';
import { StateText } from './state-text.js';

describe('StateText', () => {
  it('writes what JSON.stringify writes, through added, changed, removed and reordered members', () => {
    const text = new StateText();
    let state: JsonObject = Object.freeze({});
    const patches: JsonObject[] = [
      { playlists: ['Morning Jazz', 'Focus'], audio: { volume: 40 } },
      { audio: { volume: 41 } },
      { audio: { volume: 42 }, 'quote"and\\slash': 'é\u2028\n' },
      { playlists: null },
      { playlists: ['Road Trip'], audio: null },
      { audio: { volume: 1 } },
    ];
    for (const patch of patches) {
      state = applyMergePatch(state, patch);
      expect(text.of(state)).toBe(JSON.stringify(state));
      // The same state again: the members' kept texts.
      expect(text.of(state)).toBe(JSON.stringify(state));
    }
  });

  it('writes a state rebuilt in another key order in that order', () => {
    const text = new StateText();
    const shared = Object.freeze(['a', 'b']);
    expect(text.of(Object.freeze({ x: shared, y: 1 }))).toBe('{"x":["a","b"],"y":1}');
    expect(text.of(Object.freeze({ y: 1, x: shared }))).toBe('{"y":1,"x":["a","b"]}');
    expect(text.of(Object.freeze({}))).toBe('{}');
  });

  it('equals JSON.stringify after any sequence of merge patches (property test)', () => {
    const key = fc.oneof(fc.constantFrom('a', 'b', 'playlists', 'volume'), fc.string({ maxLength: 4 })).filter((k) => !isUnsafeKey(k));
    const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
    const { patch } = fc.letrec<{ patch: JsonObject; member: JsonValue }>((tie) => ({
      member: fc.oneof({ depthSize: 'small' }, leaf, fc.constant(null), fc.array(leaf, { maxLength: 3 }), tie('patch')),
      patch: fc.dictionary(key, tie('member'), { maxKeys: 4, noNullPrototype: true }),
    }));
    fc.assert(
      fc.property(fc.array(patch, { maxLength: 8 }), (patches) => {
        const text = new StateText();
        let state: JsonObject = Object.freeze({});
        for (const next of patches) {
          state = applyMergePatch(state, next);
          expect(text.of(state)).toBe(JSON.stringify(state));
        }
      }),
    );
  });
});
