import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AuthenticationError, TransportError } from '../errors.js';
import type { RetryPolicy } from './retry-policy.js';
import { ReconnectSchedule } from './reconnect-schedule.js';

/** Waits 10 ms per attempt (twice that when throttled); gives up on authentication errors. */
class LinearPolicy implements RetryPolicy {
  readonly asked: [number, boolean][] = [];
  shouldRetry(error: unknown): boolean {
    return !(error instanceof AuthenticationError);
  }
  nextRetryTimeout(attempt: number, throttled: boolean): number {
    this.asked.push([attempt, throttled]);
    return attempt * 10 * (throttled ? 2 : 1);
  }
}

describe('ReconnectSchedule', () => {
  it('counts failures, asks the policy and runs the retry after its delay', () => {
    const clock = new ManualClock(0);
    const policy = new LinearPolicy();
    const schedule = new ReconnectSchedule(policy, clock);
    let retries = 0;
    expect(schedule.failed(new TransportError('unavailable', 'x'), false, () => retries++)).toBe(10);
    clock.advance(10);
    expect(retries).toBe(1);
    expect(schedule.failed(new TransportError('unavailable', 'x'), true, () => retries++)).toBe(40);
    expect(schedule.attempts).toBe(2);
    schedule.succeeded();
    expect(schedule.attempts).toBe(0);
    expect(policy.asked).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('gives up when the policy does, and cancel drops a pending retry', () => {
    const clock = new ManualClock(0);
    const schedule = new ReconnectSchedule(new LinearPolicy(), clock);
    let retries = 0;
    expect(schedule.failed(new AuthenticationError('refused'), false, () => retries++)).toBeUndefined();
    expect(clock.pending).toBe(0);
    schedule.failed(new TransportError('unavailable', 'x'), false, () => retries++);
    schedule.cancel();
    clock.advance(1_000);
    expect(retries).toBe(0);
  });
});
