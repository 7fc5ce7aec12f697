import type { Clock } from '../../core/clock.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A Clock that moves only when a test says so. `advance(ms)` fires every timer due within the
 * span in time order, with `now()` reading each timer's due time while it runs, so code that
 * re-arms timers from callbacks sees the same sequence a real clock would produce.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: PendingTimer[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): { cancel(): void } {
    const timer: PendingTimer = { id: this.nextId++, at: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((t) => t.id !== timer.id)) };
  }

  /** Moves time forward by `ms`, firing due timers in order (ties in creation order). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .toSorted((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.current = due.at;
      due.callback();
    }
    this.current = target;
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.length;
  }
}
