import type { Clock } from '../clock.js';
import type { RetryPolicy } from './retry-policy.js';

/**
 * The part of a reconnect loop every transport shares: counting failed attempts since the last
 * success, asking the RetryPolicy whether and when to try again, and holding the pending retry so
 * stop() can cancel it. The transport still owns what an attempt is and when one succeeded.
 */
export class ReconnectSchedule {
  private failures = 0;
  private timer: { cancel(): void } | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly clock: Clock,
  ) {}

  /** Failed attempts since the last success (the policy's 1-based attempt number after a failure). */
  get attempts(): number {
    return this.failures;
  }

  /** A connection succeeded: the backoff starts over. */
  succeeded(): void {
    this.failures = 0;
  }

  /**
   * Counts a failure and, unless the policy gives up on `error`, runs `retry` after the policy's
   * delay. Returns that delay, or undefined when the policy gives up.
   */
  failed(error: unknown, throttled: boolean, retry: () => void): number | undefined {
    this.failures++;
    if (!this.policy.shouldRetry(error)) return undefined;
    const delay = this.policy.nextRetryTimeout(this.failures, throttled);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      retry();
    }, delay);
    return delay;
  }

  /** Drops the pending retry, if any. */
  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
