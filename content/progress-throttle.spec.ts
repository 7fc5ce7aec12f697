import { describe, expect, it } from 'vitest';
import { ManualClock } from '../test/support/manual-clock.js';
import { ProgressThrottle } from './progress-throttle.js';

describe('ProgressThrottle', () => {
  it('sends the first value at once, holds later ones until the interval is up, and always ends with the latest', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>(clock, 250, (value) => sent.push(value));
    throttle.offer(1);
    throttle.offer(2);
    throttle.offer(3);
    expect(sent).toEqual([1]);
    clock.advance(250);
    expect(sent).toEqual([1, 3]);
    // A stall: nothing new arrives, nothing more is sent.
    clock.advance(1000);
    expect(sent).toEqual([1, 3]);
  });

  it('sends urgent values at once and drops a held one on cancel', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const throttle = new ProgressThrottle<number>(clock, 250, (value) => sent.push(value));
    throttle.offer(1);
    throttle.offer(2, true);
    throttle.offer(3);
    throttle.cancel();
    clock.advance(500);
    expect(sent).toEqual([1, 2]);
  });
});
