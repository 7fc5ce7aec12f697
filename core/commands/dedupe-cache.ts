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
 */
export class DedupeCache<T> {
  private entryMap?: Map<string, Entry<T>>;
  /** Made on first use: a cache per agent that may never see a command is memory a fleet multiplies. */
  private get entries(): Map<string, Entry<T>> {
    return (this.entryMap ??= new Map());
  }
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
      this.entries.set(key, { answer, expiresAt: this.clock.now() + this.windowMs });
      this.evict();
      return { hit: false, value: answer };
    }
    const entry: Entry<T> = { answer, expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    this.running++;
    answer.then(
      () => {
        this.running--;
        // Only if still ours: the key may have been cleared meanwhile.
        if (this.entries.get(key) === entry) {
          entry.expiresAt = this.clock.now() + this.windowMs;
          this.evict();
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
  }

  private lookup(key: string): Entry<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.clock.now()) return undefined;
    // Re-inserting moves the key to the end of the Map's order: most recently used.
    this.entries.set(key, entry);
    return entry;
  }

  private evict(): void {
    // Map order is least recently used first: drop settled entries from the front until the bound
    // holds again (stale ones only cost memory; lookup() never returns them). Running entries are
    // skipped, and the front is where the excess is, so this touches a handful of entries, not all.
    let excess = this.entries.size - this.running - this.max;
    if (excess <= 0) return;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt === Number.POSITIVE_INFINITY) continue;
      this.entries.delete(key);
      if (--excess <= 0) return;
    }
  }
}
