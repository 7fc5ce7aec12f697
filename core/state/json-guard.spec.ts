import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_JSON_DEPTH, findJsonProblem } from './json-guard.js';

/** An object nested `levels` deep: {a: {a: ... {}}}. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('findJsonProblem', () => {
  it('accepts plain JSON, a value shared by two branches included', () => {
    const shared = { x: [1, 'two', true, null] };
    expect(findJsonProblem({ a: shared, b: shared, c: [shared] })).toBeUndefined();
  });

  it('names the path of an unsafe key, a non-JSON value or a cycle', () => {
    expect(findJsonProblem(JSON.parse('{"a":[{"b":{"__proto__":1}}]}'))).toMatchObject({ kind: 'unsafe_key', path: 'a.0.b.__proto__' });
    expect(findJsonProblem({ a: { b: Number.NaN } })).toMatchObject({ kind: 'not_json', path: 'a.b' });
    expect(findJsonProblem({ a: new Date(0) })).toMatchObject({ kind: 'not_json', path: 'a' });
    expect(findJsonProblem({ a: [1, undefined] })).toMatchObject({ kind: 'not_json', path: 'a.1' });
    const cycle: Record<string, unknown> = { a: {} };
    (cycle['a'] as Record<string, unknown>)['back'] = cycle;
    expect(findJsonProblem(cycle)).toMatchObject({ kind: 'not_json', path: 'a.back', message: expect.stringContaining('circular') });
  });

  it('refuses undefined members unless told to treat them as absent', () => {
    expect(findJsonProblem({ a: undefined })).toMatchObject({ kind: 'not_json', path: 'a' });
    expect(findJsonProblem({ a: undefined }, { allowUndefinedMembers: true })).toBeUndefined();
  });

  it('takes nesting up to maxDepth, however large, and refuses one level more', () => {
    expect(findJsonProblem(nested(DEFAULT_MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonProblem(nested(DEFAULT_MAX_JSON_DEPTH + 1))).toMatchObject({ kind: 'too_deep' });
    expect(findJsonProblem(nested(500), { maxDepth: 500 })).toBeUndefined();
    expect(findJsonProblem(nested(100_000), { maxDepth: 200_000 })).toBeUndefined();
  });
});
