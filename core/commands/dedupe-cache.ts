import { systemClock, type Clock } from '../clock.js';

export interface DedupeCacheOptions {
  /** How long a settled answer is kept, measured from when it settled, ms. */
  readonly windowMs: number;
  /** Most settled answers kept; the least recently used go first. */
  readonly max: number;
  readonly clock?: Clock;
}

interface Entry<T> {
  /** The answer, or the promise of it while the work runs (and when the work answered with one). */
  readonly answer: T | Promise<T>;
  /** Epoch ms after which the entry is stale; Infinity while the work is still running. */
  expiresAt: number;
  /** Its latest place in the eviction queue (a sequence number); -1 while running. */
  slot: number;
}

/**
 * Remembers the answer to each key (a command_id) for a while, so a repeated request gets the
 * first answer again and the work runs once, including when the repeat arrives while the first
 * is still running (both get the same promise).
 *
 * Bounded by `max` settled entries (LRU) and by `windowMs` after settling (TTL, checked lazily
 * with the injected clock, so no timers are left behind). Running entries are never evicted,
 * since evicting one would let a duplicate run concurrently: the cache may briefly hold `max`
 * plus the number of running tasks. A task that rejects is forgotten, so a retry can run it again.
 *
 * Work that answers at once (a plain value, not a promise) is remembered as that value and handed
 * back as it is: no promise and no callback per entry, which a quick command's round trip feels.
 *
 * The least recently used entry is found through a queue of keys, not by iterating the Map: V8
 * leaves a deleted Map entry as a hole until the table is rebuilt, and an iteration from the
 * front of a cache that evicts one entry per command stepped over hundreds of holes each time
 * (~5k instructions a command, more than the rest of answering it).
 */
export class DedupeCache<T> {
  private entryMap?: Map<string, Entry<T>>;
  /** Made on first use: a cache per agent that may never see a command is memory a fleet multiplies. */
  private get entries(): Map<string, Entry<T>> {
    return (this.entryMap ??= new Map());
  }
  /**
   * Keys of settled entries, least recently used first; a key appears again each time it is
   * used, and only the place matching its entry's `slot` counts (the older ones are skipped).
   */
  private queue: string[] = [];
  /** Sequence number of queue[0]. */
  private base = 0;
  /** Index in `queue` of the next place eviction looks at. */
  private head = 0;
  private readonly windowMs: number;
  private readonly max: number;
  private readonly clock: Clock;
  /** Entries whose work has not settled yet (never evicted). */
  private running = 0;

  constructor(options: DedupeCacheOptions) {
    this.windowMs = options.windowMs;
    this.max = Math.max(0, Math.floor(options.max));
    this.clock = options.clock ?? systemClock;
  }

  /** Entries held, running ones included (stale ones may be counted until next touched). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The remembered answer for `key` (`hit: true`), or the answer of `run()` started now and
   * remembered (`hit: false`). `run` is called synchronously on a miss; a synchronous throw
   * becomes a rejected promise.
   */
  getOrRun(key: string, run: () => T | Promise<T>): { readonly hit: boolean; readonly value: T | Promise<T> } {
    const existing = this.lookup(key);
    if (existing) return { hit: true, value: existing.answer };

    let answer: T | Promise<T>;
    try {
      answer = run();
    } catch (error) {
      answer = Promise.reject(error);
    }
    if (!(answer instanceof Promise)) {
      const entry: Entry<T> = { answer, expiresAt: this.clock.now() + this.windowMs, slot: -1 };
      this.entries.set(key, entry);
      this.settled(key, entry);
      return { hit: false, value: answer };
    }
    const entry: Entry<T> = { answer, expiresAt: Number.POSITIVE_INFINITY, slot: -1 };
    this.entries.set(key, entry);
    this.running++;
    answer.then(
      () => {
        this.running--;
        // Only if still ours: the key may have been cleared meanwhile.
        if (this.entries.get(key) === entry) {
          entry.expiresAt = this.clock.now() + this.windowMs;
          this.settled(key, entry);
        }
      },
      () => {
        this.running--;
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return { hit: false, value: answer };
  }

  /** The remembered answer for `key`, without running anything on a miss. */
  peek(key: string): T | Promise<T> | undefined {
    return this.lookup(key)?.answer;
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
    this.queue = [];
    this.base += this.head;
    this.head = 0;
  }

  private lookup(key: string): Entry<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Used again: it goes to the back of the queue (most recently used).
    if (entry.slot >= 0) this.enqueue(key, entry);
    return entry;
  }

  /** A settled entry joins the queue; the least recently used beyond `max` go. */
  private settled(key: string, entry: Entry<T>): void {
    this.enqueue(key, entry);
    let excess = this.entries.size - this.running - this.max;
    const queue = this.queue;
    while (excess > 0 && this.head < queue.length) {
      const oldest = queue[this.head]!;
      const slot = this.base + this.head;
      this.head++;
      const candidate = this.entries.get(oldest);
      // A place the key has since left (used again, or forgotten) evicts nothing.
      if (candidate?.slot !== slot) continue;
      this.entries.delete(oldest);
      excess--;
    }
    // Dropped from the front in batches, like the deadlines' queues.
    if (this.head >= 64 && this.head * 2 >= queue.length) {
      queue.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  private enqueue(key: string, entry: Entry<T>): void {
    // Places left behind by keys used again pile up when nothing is evicted: rebuild the queue
    // from the places that still count once they outnumber the entries (amortised O(1)).
    if (this.queue.length - this.head > 2 * this.entries.size + 64) this.compact();
    entry.slot = this.base + this.queue.length;
    this.queue.push(key);
  }

  private compact(): void {
    const kept: string[] = [];
    const base = this.base + this.queue.length;
    for (let index = this.head; index < this.queue.length; index++) {
      const key = this.queue[index]!;
      const entry = this.entries.get(key);
      if (entry?.slot !== this.base + index) continue;
      entry.slot = base + kept.length;
      kept.push(key);
    }
    this.queue = kept;
    this.base = base;
    this.head = 0;
  }
}
