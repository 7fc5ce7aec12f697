import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';

/** A RetryPolicy that records what it was asked, with short waits, for tests of reconnection. */
export class RecordingRetryPolicy implements RetryPolicy {
  /** Attempt numbers passed to nextRetryTimeout, in order. */
  readonly attempts: number[] = [];
  /** Errors for which shouldRetry answered false. */
  readonly refused: unknown[] = [];
  private readonly inner: ExponentialBackoffRetryPolicy;

  constructor(waitMs = 20) {
    this.inner = new ExponentialBackoffRetryPolicy({ initialMs: waitMs, maxMs: waitMs * 4 });
  }

  shouldRetry(error: unknown): boolean {
    const retry = this.inner.shouldRetry(error);
    if (!retry) this.refused.push(error);
    return retry;
  }

  nextRetryTimeout(attempt: number, throttled: boolean): number {
    this.attempts.push(attempt);
    return this.inner.nextRetryTimeout(attempt, throttled);
  }
}
