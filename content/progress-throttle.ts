import type { Clock } from '../core/index.js';

/**
 * Passes values on at most once per `intervalMs`, always ending with the latest: a value that
 * arrives too soon is held and sent when the interval is up, so a download that stalls still
 * shows how far it got. `urgent` values (a file finished) go at once.
 */
export class ProgressThrottle<T> {
  private lastAt = Number.NEGATIVE_INFINITY;
  private held: { value: T } | undefined;
  private timer: { cancel(): void } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly send: (value: T) => void,
  ) {}

  offer(value: T, urgent = false): void {
    const wait = this.lastAt + this.intervalMs - this.clock.now();
    if (urgent || wait <= 0) {
      this.flush(value);
      return;
    }
    this.held = { value };
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.held) this.flush(this.held.value);
    }, wait);
  }

  /** Drops a held value (the caller publishes the outcome itself). */
  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.held = undefined;
  }

  private flush(value: T): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.held = undefined;
    this.lastAt = this.clock.now();
    this.send(value);
  }
}
