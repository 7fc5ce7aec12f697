import { describe, expect, it } from 'vitest';
import { alternatingRounds } from './rounds.js';

describe('alternatingRounds', () => {
  it('runs the passes in the given order, reversed every other round', () => {
    const order = [...alternatingRounds(3, ['raw', 'off', 'on'])].map(({ round, who }) => `${round}:${who}`);
    expect(order).toEqual(['0:raw', '0:off', '0:on', '1:on', '1:off', '1:raw', '2:raw', '2:off', '2:on']);
  });
});
