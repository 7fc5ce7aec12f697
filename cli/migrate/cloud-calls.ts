import { setTimeout as sleep } from 'node:timers/promises';
import { ExponentialBackoffRetryPolicy, RateLimiter } from '../../core/index.js';

/** How many times a throttled call is tried again. */
const THROTTLE_RETRIES = 5;

/**
 * Every control-plane call of a migration goes through here: at most `perSecond` calls start per
 * second (core's token bucket, the clouds' quotas are per second or per minute), and a call the
 * cloud throttles anyway (429, ThrottlingException) is retried after a growing pause.
 */
export class CloudCalls {
  private readonly limiter: RateLimiter<() => Promise<void>>;
  /** Core's backoff (doubling from 500 ms, with jitter so concurrent calls do not retry in step). */
  private readonly backoff = new ExponentialBackoffRetryPolicy({ initialMs: 500, throttledFactor: 1 });
  /** Calls made, throttled answers seen: for the report. */
  calls = 0;
  throttled = 0;

  constructor(perSecond: number, maxWaiting: number) {
    this.limiter = new RateLimiter((run) => run(), { perSecond, burst: Math.max(1, Math.min(perSecond, 10)), capacity: maxWaiting });
  }

  async call<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let result!: T;
      try {
        await this.limiter.submit(async () => {
          this.calls++;
          result = await run();
        });
        return result;
      } catch (error) {
        if (!isThrottled(error) || attempt >= THROTTLE_RETRIES) throw error;
        this.throttled++;
        await sleep(this.backoff.nextRetryTimeout(attempt + 1, true));
      }
    }
  }

  close(): void {
    this.limiter.close();
  }
}

export function isThrottled(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { response?: { statusCode?: number }; $metadata?: { httpStatusCode?: number } }).response?.statusCode ?? (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === 'ThrottlingException' || error.name === 'ThrottledError' || status === 429;
}
