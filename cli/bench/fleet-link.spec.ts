import { describe, expect, it } from 'vitest';
import { watchedDevice, watchedDevices } from './fleet-link.js';

describe('bench fleet: the devices the subscribers watch', () => {
  it('watches every device when there are at least as many subscribers, client j device j mod N', () => {
    expect(watchedDevices(5_000, 1_400)).toEqual(Array.from({ length: 1_400 }, (_, index) => index));
    expect([0, 1_399, 1_400, 4_999].map((client) => watchedDevice(client, 5_000, 1_400))).toEqual([0, 1_399, 0, 799]);
  });

  it('spreads fewer subscribers over the whole fleet, so their devices send in every part of a round', () => {
    const watched = watchedDevices(200, 10_000);
    expect(new Set(watched).size).toBe(200);
    expect(watched.slice(0, 3)).toEqual([0, 50, 100]);
    expect(watched.at(-1)).toBe(9_950);
    // Uneven ratios too: distinct, in range, no slice of the fleet left out.
    const odd = watchedDevices(7, 10);
    expect(new Set(odd).size).toBe(7);
    expect(Math.max(...odd)).toBe(8);
    expect(odd.every((index, i) => i === 0 || index - odd[i - 1]! <= 2)).toBe(true);
  });
});
