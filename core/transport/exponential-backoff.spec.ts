import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmoraError, AuthenticationError, TransportError } from '../errors.js';
import { ExponentialBackoffRetryPolicy } from './exponential-backoff.js';

/** No randomness drawn: every wait is the full exponential value. */
const noJitter = { random: () => 0 };

describe('ExponentialBackoffRetryPolicy', () => {
  it('starts at initialMs and doubles per attempt by default', () => {
    const policy = new ExponentialBackoffRetryPolicy(noJitter);
    expect([1, 2, 3, 4, 5].map((attempt) => policy.nextRetryTimeout(attempt, false))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('never exceeds maxMs (default 30 s), however many attempts', () => {
    const policy = new ExponentialBackoffRetryPolicy(noJitter);
    expect(policy.nextRetryTimeout(6, false)).toBe(30_000);
    expect(policy.nextRetryTimeout(1_000, false)).toBe(30_000);
  });

  it('uses the configured initial wait, factor and cap', () => {
    const policy = new ExponentialBackoffRetryPolicy({ ...noJitter, initialMs: 100, factor: 3, maxMs: 2_000 });
    expect([1, 2, 3, 4].map((attempt) => policy.nextRetryTimeout(attempt, false))).toEqual([100, 300, 900, 2_000]);
  });

  it('treats attempt 0 and negative attempts like the first', () => {
    const policy = new ExponentialBackoffRetryPolicy(noJitter);
    expect(policy.nextRetryTimeout(0, false)).toBe(1_000);
    expect(policy.nextRetryTimeout(-3, false)).toBe(1_000);
  });

  it('waits longer when throttled, still within the cap', () => {
    const policy = new ExponentialBackoffRetryPolicy(noJitter);
    expect(policy.nextRetryTimeout(1, true)).toBe(4_000);
    expect(policy.nextRetryTimeout(5, true)).toBe(30_000);
  });

  it('jitter takes a random share off the wait: full wait at random 0, (1 - jitter) at random → 1', () => {
    const top = new ExponentialBackoffRetryPolicy({ jitter: 0.5, random: () => 0 });
    const bottom = new ExponentialBackoffRetryPolicy({ jitter: 0.5, random: () => 0.999_999 });
    expect(top.nextRetryTimeout(2, false)).toBe(2_000);
    expect(bottom.nextRetryTimeout(2, false)).toBe(1_000);
  });

  it('spreads a fleet: different random draws give different waits', () => {
    const draws = [0.1, 0.5, 0.9].map((r) => new ExponentialBackoffRetryPolicy({ random: () => r }).nextRetryTimeout(3, false));
    expect(new Set(draws).size).toBe(3);
  });

  it('clamps jitter to [0, 1] and never returns less than 1 ms', () => {
    expect(new ExponentialBackoffRetryPolicy({ jitter: 5, random: () => 0.999_999 }).nextRetryTimeout(1, false)).toBe(1);
    expect(new ExponentialBackoffRetryPolicy({ jitter: -1, random: () => 0.9 }).nextRetryTimeout(1, false)).toBe(1_000);
    expect(new ExponentialBackoffRetryPolicy({ initialMs: 0, random: () => 0 }).nextRetryTimeout(1, false)).toBe(1);
  });

  it('stays within [max(1, (1 - jitter) × base), min(base, maxMs)] for any attempt and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.boolean(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, throttled, draw, jitter) => {
          const policy = new ExponentialBackoffRetryPolicy({ jitter, random: () => draw });
          const full = Math.min(1_000 * 2 ** (attempt - 1) * (throttled ? 4 : 1), 30_000);
          const wait = policy.nextRetryTimeout(attempt, throttled);
          expect(wait).toBeLessThanOrEqual(full);
          expect(wait).toBeGreaterThanOrEqual(Math.max(1, Math.floor(full * (1 - jitter))));
        },
      ),
    );
  });

  it('grows monotonically with the attempt number for a fixed draw', () => {
    const policy = new ExponentialBackoffRetryPolicy({ random: () => 0.5 });
    const waits = Array.from({ length: 10 }, (_, i) => policy.nextRetryTimeout(i + 1, false));
    expect(waits).toEqual(waits.toSorted((a, b) => a - b));
  });

  describe('shouldRetry', () => {
    const policy = new ExponentialBackoffRetryPolicy();

    it('never retries refused credentials', () => {
      expect(policy.shouldRetry(new AuthenticationError('bad SAS token'))).toBe(false);
      expect(policy.shouldRetry(new AmoraError('authentication_failed', 'refused'))).toBe(false);
    });

    it('retries transport failures and unknown errors', () => {
      expect(policy.shouldRetry(new TransportError('transport_failed', 'connection reset'))).toBe(true);
      expect(policy.shouldRetry(new Error('ECONNREFUSED'))).toBe(true);
      expect(policy.shouldRetry('weird')).toBe(true);
    });
  });
});
