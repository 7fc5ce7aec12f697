import type { OutboxStore } from './outbox-store.js';

export interface OutboxOptions<T> {
  /** Most items kept; pushing one more drops the oldest. */
  readonly capacity: number;
  /**
   * Keeps the queue where it survives a restart (see OutboxStore); without one the queue lives in
   * memory only. Items a previous run left are queued again at construction, oldest first, and
   * any beyond `capacity` are dropped and counted in `dropped` (without `onOverflow`).
   */
  readonly store?: OutboxStore<T>;
  /** Called on every drop with the total dropped so far and the item lost, so it can be logged and shown in status. */
  readonly onOverflow?: (droppedCount: number, item: T) => void;
}

/** What one `drain()` did. */
export interface DrainResult {
  readonly sent: number;
  /** Items still queued afterwards. */
  readonly remaining: number;
  /** Why sending stopped early; absent when the queue was emptied. */
  readonly error?: unknown;
}

/**
 * A bounded FIFO of messages waiting for a connection. When full, the oldest item is dropped
 * (fresh state and telemetry matter more than stale), and every drop is counted and reported
 * through `onOverflow`: nothing is lost silently.
 *
 * `drain()` sends in order and stops at the first failure, keeping the failed item and everything
 * after it. Only one drain runs at a time; a second call joins the running one. Items pushed while
 * draining are sent by the same drain. The item being sent is out of the queue meanwhile (not
 * counted in `size`, not droppable); if its send fails it goes back to the front, and only if the
 * queue filled up meanwhile is it then dropped, as the oldest. So `dropped` counts exactly the
 * items that were never delivered.
 *
 * With a `store`, an item leaves the store only once sent or dropped: a process killed in the
 * middle of a send finds that item again on the next start (it may then be delivered twice, which
 * QoS 1 allows anyway; records carry ids for that).
 */
export class Outbox<T> {
  private readonly capacity: number;
  private readonly onOverflow: ((droppedCount: number, item: T) => void) | undefined;
  private readonly store: OutboxStore<T> | undefined;
  private readonly queue: Entry<T>[] = [];
  private nextKey = 1;
  private droppedCount = 0;
  private draining: Promise<DrainResult> | undefined;

  constructor(options: OutboxOptions<T>) {
    this.capacity = Math.max(0, Math.floor(options.capacity));
    this.onOverflow = options.onOverflow;
    this.store = options.store;
    for (const stored of this.store?.load() ?? []) {
      this.queue.push(stored);
      this.nextKey = Math.max(this.nextKey, stored.key + 1);
    }
    // The owner's onOverflow may not be ready during construction; these drops are counted only.
    while (this.queue.length > this.capacity) this.forget(this.queue.shift()!);
  }

  get size(): number {
    return this.queue.length;
  }

  /** Items dropped because the outbox was full, since it was created. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The shape ConnectionStatus.outbox expects. */
  stats(): { readonly queued: number; readonly dropped: number } {
    return { queued: this.queue.length, dropped: this.droppedCount };
  }

  /** Queues an item, dropping (and reporting) the oldest when full. */
  push(item: T): void {
    const entry = { key: this.nextKey++, item };
    this.store?.append(entry.key, item);
    this.queue.push(entry);
    this.trim();
  }

  /** Sends queued items in order with `send`; never rejects (see DrainResult). */
  drain(send: (item: T) => Promise<void>): Promise<DrainResult> {
    this.draining ??= this.run(send).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async run(send: (item: T) => Promise<void>): Promise<DrainResult> {
    let sent = 0;
    while (this.queue.length > 0) {
      const entry = this.queue.shift()!;
      try {
        await send(entry.item);
      } catch (error) {
        this.queue.unshift(entry);
        this.trim();
        return { sent, remaining: this.queue.length, error };
      }
      this.store?.remove(entry.key);
      sent++;
    }
    return { sent, remaining: 0 };
  }

  /** Drops the oldest items beyond capacity, counting and reporting each. */
  private trim(): void {
    while (this.queue.length > this.capacity) {
      const lost = this.queue.shift()!;
      this.forget(lost);
      this.onOverflow?.(this.droppedCount, lost.item);
    }
  }

  private forget(entry: Entry<T>): void {
    this.store?.remove(entry.key);
    this.droppedCount++;
  }
}

interface Entry<T> {
  readonly key: number;
  readonly item: T;
}
