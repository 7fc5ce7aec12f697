import { isAmoraError } from '../errors.js';
import type { RetryPolicy } from './retry-policy.js';

export interface ExponentialBackoffOptions {
  /** First wait, ms. Default 1 000. */
  readonly initialMs?: number;
  /** Upper bound of any wait, ms. Default 30 000. */
  readonly maxMs?: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /** Fraction of each wait drawn at random, 0-1, so a fleet does not reconnect in lockstep. Default 0.2. */
  readonly jitter?: number;
  /** Extra multiplier when the far end said it is throttling us. Default 4. */
  readonly throttledFactor?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/** Exponential backoff with jitter; never retries refused credentials. */
export class ExponentialBackoffRetryPolicy implements RetryPolicy {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly throttledFactor: number;
  private readonly random: () => number;

  constructor(options: ExponentialBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1_000;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(Math.max(options.jitter ?? 0.2, 0), 1);
    this.throttledFactor = options.throttledFactor ?? 4;
    this.random = options.random ?? Math.random;
  }

  shouldRetry(error: unknown): boolean {
    return !(isAmoraError(error) && error.code === 'authentication_failed');
  }

  nextRetryTimeout(attempt: number, throttled: boolean): number {
    const exponent = Math.max(attempt - 1, 0);
    const base = Math.min(this.initialMs * this.factor ** exponent, this.maxMs);
    const scaled = Math.min(throttled ? base * this.throttledFactor : base, this.maxMs);
    // Full wait minus a random share of it: never longer than the cap, never zero.
    return Math.max(1, Math.round(scaled * (1 - this.jitter * this.random())));
  }
}
