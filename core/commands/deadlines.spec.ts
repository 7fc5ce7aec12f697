import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { Deadlines } from './deadlines.js';

describe('Deadlines', () => {
  it('calls each deadline when its time comes, in time order across durations', () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(300, () => fired.push('a300'));
    clock.advance(50);
    deadlines.add(100, () => fired.push('b100'));
    deadlines.add(300, () => fired.push('c300'));
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['b100']);
    clock.advance(150);
    expect(fired).toEqual(['b100', 'a300']);
    clock.advance(50);
    expect(fired).toEqual(['b100', 'a300', 'c300']);
    expect(clock.pending).toBe(0);
  });

  it('never calls a cancelled deadline, and keeps calling the others on time', () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: number[] = [];
    const first = deadlines.add(100, () => fired.push(1));
    clock.advance(10);
    deadlines.add(100, () => fired.push(2));
    const third = deadlines.add(100, () => fired.push(3));
    first.cancel();
    third.cancel();
    third.cancel();
    clock.advance(89);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual([2]);
    clock.advance(1_000);
    expect(fired).toEqual([2]);
    expect(clock.pending).toBe(0);
  });

  it('uses one timer for many deadlines of the same duration', () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    for (let i = 0; i < 1_000; i++) {
      deadlines.add(10_000, () => undefined).cancel();
      clock.advance(1);
    }
    expect(clock.pending).toBe(1);
  });

  it('takes deadlines added by an expiring one', () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(100, () => {
      fired.push('first');
      deadlines.add(100, () => fired.push('second'));
    });
    clock.advance(100);
    expect(fired).toEqual(['first']);
    clock.advance(100);
    expect(fired).toEqual(['first', 'second']);
  });

  it('close() forgets every deadline and leaves no timer; it can be used again afterwards', () => {
    const clock = new ManualClock();
    const deadlines = new Deadlines(clock);
    const fired: string[] = [];
    deadlines.add(100, () => fired.push('dropped'));
    deadlines.close();
    expect(clock.pending).toBe(0);
    clock.advance(200);
    deadlines.add(100, () => fired.push('later'));
    clock.advance(100);
    expect(fired).toEqual(['later']);
  });

  it('waits for a deadline beyond what one Node timer can take in steps, and calls it on time', () => {
    const clock = new ManualClock();
    const delays: number[] = [];
    const recording = { now: () => clock.now(), setTimeout: (fn: () => void, ms: number) => (delays.push(ms), clock.setTimeout(fn, ms)) };
    const deadlines = new Deadlines(recording);
    const thirtyDays = 30 * 24 * 3_600_000;
    let fired = 0;
    deadlines.add(thirtyDays, () => fired++);
    clock.advance(thirtyDays - 1);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
    expect(delays.length).toBeGreaterThan(1);
  });
});
