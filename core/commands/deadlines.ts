import type { Clock } from '../clock.js';

/** The longest delay a Node timer takes as given (a signed 32-bit count of milliseconds). */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** A deadline of Deadlines: `cancel()` it once the awaited thing happened. */
export interface Deadline {
  cancel(): void;
}

class Entry implements Deadline {
  constructor(
    readonly at: number,
    public onExpire: (() => void) | undefined,
    private readonly lane: Lane,
  ) {}

  cancel(): void {
    if (this.onExpire === undefined) return;
    this.onExpire = undefined;
    this.lane.prune();
  }
}

/** The deadlines of one duration, in the order they were set, hence of their expiry. */
class Lane {
  entries: Entry[] = [];
  head = 0;

  get first(): Entry | undefined {
    return this.entries[this.head];
  }

  /** Drops cancelled entries from the front (the usual case: the oldest answer came first). */
  prune(): void {
    const entries = this.entries;
    while (this.head < entries.length && entries[this.head]!.onExpire === undefined) this.head++;
    if (this.head === entries.length) {
      entries.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= entries.length) {
      entries.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * Many deadlines on one clock timer, for per-command deadlines: a setTimeout and a clearTimeout
 * per command cost more than the rest of waiting for the answer.
 *
 * Deadlines of the same duration expire in the order they were set, so each duration keeps a
 * queue and only the earliest head needs a timer. A cancelled deadline leaves that timer armed
 * (the next command most likely reuses it); when it fires with nothing due it re-arms for the
 * next deadline, or stops. `close()` drops the timer and every deadline (the owner stopping),
 * so nothing keeps the process alive afterwards.
 */
export class Deadlines {
  private readonly lanes = new Map<number, Lane>();
  private timer: { cancel(): void } | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Clock) {}

  /** Calls `onExpire` once `ms` have passed, unless cancelled first. */
  add(ms: number, onExpire: () => void): Deadline {
    let lane = this.lanes.get(ms);
    if (!lane) {
      lane = new Lane();
      this.lanes.set(ms, lane);
    }
    const entry = new Entry(this.clock.now() + ms, onExpire, lane);
    lane.entries.push(entry);
    if (entry.at < this.armedAt) this.arm(entry.at);
    return entry;
  }

  /** Forgets every deadline without calling it and stops the timer. */
  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    this.lanes.clear();
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.armedAt = at;
    // Node fires a delay past 2^31-1 ms after 1 ms (with a warning): wait at most that long, and
    // expire() re-arms for what is left.
    this.timer = this.clock.setTimeout(() => this.expire(), Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - this.clock.now())));
  }

  private expire(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    const due: (() => void)[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [ms, lane] of this.lanes) {
      lane.prune();
      for (let entry = lane.first; entry && entry.at <= now; entry = lane.first) {
        due.push(entry.onExpire!);
        entry.onExpire = undefined;
        lane.prune();
      }
      const first = lane.first;
      if (first) next = Math.min(next, first.at);
      else this.lanes.delete(ms);
    }
    // Armed before the callbacks run, so a deadline they add finds the timer state settled.
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
    for (const onExpire of due) onExpire();
  }
}
