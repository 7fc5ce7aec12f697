import {
  TransportError,
  type Clock,
} from '../../core/index.js';

/**
 * A token bucket for outgoing publishes. AWS IoT Core discards what a connection publishes beyond
 * 100 messages per second, so every publish of a connection waits for a token here first, in
 * arrival order. The bucket holds at most one second's worth, so a burst after a quiet spell
 * never exceeds the rate over any one-second window by more than that.
 */
export class PublishRateLimiter {
  private tokens: number;
  private last: number;
  private readonly waiting: { resolve(): void; reject(error: unknown): void }[] = [];
  private timer: { cancel(): void } | undefined;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    if (!(perSecond > 0)) throw new RangeError('publishes per second must be positive');
    this.tokens = perSecond;
    this.last = clock.now();
  }

  /** Resolves when this publish may go out. */
  acquire(): Promise<void> {
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Publishes waiting for a token. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Fails every waiting publish (the connection is going away). */
  cancelAll(reason = new TransportError('unavailable', 'connection closed while waiting to publish')): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.reject(reason);
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiting.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiting.shift()!.resolve();
      }
      if (this.waiting.length > 0) this.schedule();
    }, wait);
  }
}
