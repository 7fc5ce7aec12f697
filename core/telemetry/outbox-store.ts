/** One item an OutboxStore kept, with the key it was stored under. */
export interface StoredOutboxItem<T> {
  readonly key: number;
  readonly item: T;
}

/**
 * Where an Outbox keeps its items so they outlive the process (a power cut, a kill -9). The
 * Outbox stays the source of truth while it runs; the store only mirrors it: every queued item is
 * appended under a growing key, and removed once sent or dropped. Methods are synchronous so that
 * `Outbox.push()` stays synchronous, and never throw: a store that cannot write reports that
 * itself (logs) and the Outbox carries on in memory.
 */
export interface OutboxStore<T> {
  /** Items a previous run left behind, oldest first. */
  load(): readonly StoredOutboxItem<T>[];
  /** Keeps `item` under `key`; each key is larger than every key appended before. */
  append(key: number, item: T): void;
  /** Forgets the item under `key` (sent, or dropped as the oldest). */
  remove(key: number): void;
}
