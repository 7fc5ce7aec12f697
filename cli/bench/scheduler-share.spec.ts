import { describe, expect, it } from 'vitest';
import { parseSchedstat, schedulerShares } from './scheduler-share.js';

describe('bench: scheduler figures from schedstat', () => {
  it('reads the time on a core and the time waiting for one from a schedstat line', () => {
    expect(parseSchedstat('1534226079 80410652 2207\n')).toEqual({ runNs: 1_534_226_079, waitNs: 80_410_652 });
    expect(parseSchedstat('')).toBeUndefined();
    expect(parseSchedstat('garbage here')).toBeUndefined();
  });

  it('turns two readings into shares of one core over the window', () => {
    const before = { runNs: 1_000_000_000, waitNs: 500_000_000 };
    const after = { runNs: 1_400_000_000, waitNs: 650_000_000 };
    expect(schedulerShares(before, after, 1_000)).toEqual({ running: 0.4, waiting: 0.15 });
    // A process that was not there at one end of the window gives no figures, not zeros.
    expect(schedulerShares(undefined, after, 1_000)).toBeUndefined();
    expect(schedulerShares(before, undefined, 1_000)).toBeUndefined();
  });
});
