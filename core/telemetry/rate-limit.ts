import { BehaviorSubject, combineLatest, map, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { TransportError } from '../errors.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import type { TelemetryBatch } from './types.js';

export interface RateLimiterOptions<T> {
  /** Sustained rate: sends started per second (AWS IoT Core allows 100 publishes/s per connection). */
  readonly perSecond: number;
  /** Sends that may start at once after a quiet spell (the bucket size). Default: `perSecond`, one second's worth. */
  readonly burst?: number;
  /** Most items waiting for a token; one more drops the oldest waiting (reported through onOverflow). Default 1 000. */
  readonly capacity?: number;
  /** Called on every drop with the total dropped so far and the item lost (as Outbox does). */
  readonly onOverflow?: (droppedCount: number, item: T) => void;
  readonly clock?: Clock;
}

interface Waiting<T> {
  readonly item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A token bucket in front of a send function: sends start in arrival order, never faster than
 * `perSecond` on average and never more than `burst` at once. Over the limit an item waits
 * (delayed, not dropped); only when more than `capacity` items wait is the oldest waiting one
 * dropped, counted and reported, like Outbox, so nothing is lost silently. Sends are started, not
 * awaited in turn: the rate bounds how often messages leave, not how long the far end takes.
 * Waits are rounded up to whole milliseconds, so an odd rate (3/s) runs at or just below the
 * limit, never above it. Time comes from the injected Clock.
 */
export class RateLimiter<T> {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly capacity: number;
  private readonly onOverflow: ((droppedCount: number, item: T) => void) | undefined;
  private readonly clock: Clock;
  private readonly waiting: Waiting<T>[] = [];
  private tokens: number;
  private refilledAt: number;
  private timer: { cancel(): void } | undefined;
  private droppedCount = 0;
  private closed = false;

  /** @throws RangeError when `perSecond` or `burst` is not positive. */
  constructor(
    private readonly send: (item: T) => Promise<void>,
    options: RateLimiterOptions<T>,
  ) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be positive (got ${options.perSecond})`);
    this.perSecond = options.perSecond;
    this.burst = options.burst ?? options.perSecond;
    if (!(this.burst >= 1)) throw new RangeError(`burst must be at least 1 (got ${this.burst})`);
    this.capacity = Math.max(0, Math.floor(options.capacity ?? 1_000));
    this.onOverflow = options.onOverflow;
    this.clock = options.clock ?? systemClock;
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  /** Items waiting for a token. */
  get size(): number {
    return this.waiting.length;
  }

  /** Items dropped because too many were waiting, since the limiter was created. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The shape ConnectionStatus.outbox expects. */
  stats(): { readonly queued: number; readonly dropped: number } {
    return { queued: this.waiting.length, dropped: this.droppedCount };
  }

  /**
   * Sends `item` as soon as the rate allows. Resolves or rejects as the send does; rejects with a
   * TransportError `busy` when the item is dropped for overflow and `closed` after close().
   */
  submit(item: T): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return this.start(item);
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.trim();
      this.schedule();
    });
  }

  /** Refuses further items and rejects every waiting one with `closed` (the connection is going away). Idempotent. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.reject(closedError());
  }

  private start(item: T): Promise<void> {
    try {
      return this.send(item);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.refilledAt) * this.perSecond) / 1_000);
    this.refilledAt = now;
  }

  /** One timer at a time, due when the next token is. */
  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1_000) / this.perSecond));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiting.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        const waiter = this.waiting.shift()!;
        this.start(waiter.item).then(waiter.resolve, waiter.reject);
      }
      this.schedule();
    }, wait);
  }

  private trim(): void {
    while (this.waiting.length > this.capacity) {
      const lost = this.waiting.shift()!;
      this.droppedCount++;
      lost.reject(
        new TransportError('busy', `rate limit of ${this.perSecond}/s: more than ${this.capacity} messages waiting, dropped the oldest`, {
          details: { dropped: this.droppedCount, capacity: this.capacity },
        }),
      );
      this.onOverflow?.(this.droppedCount, lost.item);
    }
  }
}

function closedError(): TransportError {
  return new TransportError('closed', 'rate limiter closed while the message waited to be sent');
}

/** Options of rateLimitTelemetry(): RateLimiterOptions for telemetry batches. */
export type TelemetryRateLimitOptions = RateLimiterOptions<TelemetryBatch>;

/**
 * Wraps a device transport so its telemetry publishes go through a RateLimiter, for a far end that
 * throttles per connection. State, responses and presence pass straight through (state already
 * coalesces; answers must not wait behind telemetry). Drops are added to `status$`'s
 * `outbox.dropped`; waiting batches are refused with `closed` when the transport stops.
 */
export function rateLimitTelemetry(transport: DeviceTransport, options: TelemetryRateLimitOptions): DeviceTransport {
  const drops = new BehaviorSubject(0);
  const limiter = new RateLimiter<TelemetryBatch>((batch) => transport.publishTelemetry(batch), {
    ...options,
    onOverflow: (dropped, batch) => {
      drops.next(dropped);
      options.onOverflow?.(dropped, batch);
    },
  });
  const status$: Observable<ConnectionStatus> = combineLatest([transport.status$, drops]).pipe(
    map(([status, dropped]) =>
      dropped === 0 ? status : { ...status, outbox: { queued: status.outbox?.queued ?? 0, dropped: (status.outbox?.dropped ?? 0) + dropped } },
    ),
  );
  return {
    id: transport.id,
    capabilities: transport.capabilities,
    status$,
    commands$: transport.commands$,
    desired$: transport.desired$,
    // Commands and desired state pass untouched: the wrapped transport's plain callbacks too.
    ...(transport.listen ? { listen: (listener: Parameters<NonNullable<DeviceTransport['listen']>>[0]) => transport.listen!(listener) } : {}),
    start: (signal) => transport.start(signal),
    stop: async (reason) => {
      limiter.close();
      await transport.stop(reason);
    },
    publishState: (snapshot, patch) => transport.publishState(snapshot, patch),
    respond: (command, response) => transport.respond(command, response),
    publishTelemetry: (batch) => limiter.submit(batch),
  };
}
