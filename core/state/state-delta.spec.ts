import { describe, expect, it } from 'vitest';
import { computeDelta } from './state-delta.js';

describe('computeDelta', () => {
  it('keeps desired members that reported lacks or holds differently, recursively', () => {
    expect(
      computeDelta(
        { audio: { volume: 40, device: 'hw:0' }, playlists: ['a', 'b'], mode: 'repeat' },
        { audio: { volume: 10, device: 'hw:0' }, playlists: ['a', 'b'] },
      ),
    ).toEqual({ audio: { volume: 40 }, mode: 'repeat' });
  });

  it('ignores desired nulls: they ask for nothing', () => {
    expect(computeDelta({ a: null, b: { c: null } }, { a: 1 })).toEqual({});
  });

  it('compares arrays as whole values', () => {
    expect(computeDelta({ list: [1, 2] }, { list: [2, 1] })).toEqual({ list: [1, 2] });
  });

  it('wants a whole object where reported has a leaf or nothing', () => {
    expect(computeDelta({ eq: { bass: 3 } }, { eq: 7 })).toEqual({ eq: { bass: 3 } });
    expect(computeDelta({ eq: { bass: 3 } }, {})).toEqual({ eq: { bass: 3 } });
  });

  it('ignores reported members desired says nothing about, and inherited names', () => {
    expect(computeDelta({}, { a: 1 })).toEqual({});
    expect(computeDelta({ toString: 'x' }, {})).toEqual({ toString: 'x' });
  });
});
