import { createHash } from 'node:crypto';

/**
 * The partitioned, in-memory event log behind the emulator's Event Hub-compatible endpoint.
 *
 * Events are placed on a partition by hashing their device id (as IoT Hub does, so one device's
 * events stay in order on one partition), numbered per partition (sequence number, and an offset
 * that grows with the bytes stored, both as Event Hubs assign them), and kept within a count and
 * an age bound. What the bounds drop is counted, so a consumer that fell behind can be told why
 * events are missing. Consumer groups all read the same log, each link at its own position.
 */

/** One routed event as IoT Hub hands it to the Event Hub endpoint. */
export interface RoutedEvent {
  /** The device the event is about: the partition key. */
  readonly deviceId: string;
  readonly body: Buffer;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly messageId?: string;
  readonly correlationId?: string;
  /** Application properties (the device's own, or IoT Hub's for twin and connection events). */
  readonly properties: Readonly<Record<string, string | number | boolean>>;
  /** IoT Hub's system properties, sent as message annotations (`iothub-*`). */
  readonly annotations: Readonly<Record<string, string | number | Date>>;
}

/** An event once stored: where it sits in its partition. */
export interface StoredEvent extends RoutedEvent {
  readonly partitionId: string;
  readonly sequenceNumber: number;
  /** Offset within the partition, as Event Hubs reports it (a decimal string on the wire). */
  readonly offset: number;
  /** Epoch ms the hub enqueued it. */
  readonly enqueuedTime: number;
}

export interface RetentionOptions {
  /** Events kept per partition; the oldest are dropped beyond this. Default 10 000. */
  readonly maxEventsPerPartition?: number;
  /** Events older than this (ms) are dropped. Default one hour (Event Hubs keeps a day or more). */
  readonly maxAgeMs?: number;
}

export interface EventStoreOptions extends RetentionOptions {
  /** Number of partitions; device ids are hashed onto them. Default 4 (IoT Hub's minimum is 2). */
  readonly partitionCount?: number;
  readonly now?: () => number;
}

/** The counters of what retention dropped. */
export interface RetentionDrops {
  /** Dropped because a partition held more than `maxEventsPerPartition`. */
  readonly overCount: number;
  /** Dropped because they were older than `maxAgeMs`. */
  readonly expired: number;
}

/** What `$management` reports about a partition. */
export interface PartitionInfo {
  readonly partitionId: string;
  readonly beginningSequenceNumber: number;
  readonly lastEnqueuedSequenceNumber: number;
  readonly lastEnqueuedOffset: number;
  readonly lastEnqueuedTime: number;
  readonly isEmpty: boolean;
}

class Partition {
  readonly events: StoredEvent[] = [];
  /** Sequence number of the last event ever enqueued (-1 before the first). */
  lastSequenceNumber = -1;
  lastOffset = -1;
  lastEnqueuedTime = 0;
  nextOffset = 0;
  readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(readonly id: string) {}
}

export class EventStore {
  readonly partitionCount: number;
  private readonly partitions: Partition[];
  private readonly maxEvents: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private overCount = 0;
  private expired = 0;

  constructor(options: EventStoreOptions = {}) {
    this.partitionCount = options.partitionCount ?? 4;
    if (!Number.isInteger(this.partitionCount) || this.partitionCount < 1 || this.partitionCount > 32) {
      throw new RangeError(`partitionCount must be an integer from 1 to 32, got ${this.partitionCount}`);
    }
    this.maxEvents = options.maxEventsPerPartition ?? 10_000;
    this.maxAgeMs = options.maxAgeMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    this.partitions = Array.from({ length: this.partitionCount }, (_, index) => new Partition(String(index)));
  }

  get partitionIds(): readonly string[] {
    return this.partitions.map((partition) => partition.id);
  }

  get drops(): RetentionDrops {
    return { overCount: this.overCount, expired: this.expired };
  }

  /** The partition a device's events go to: a stable hash of its id. */
  partitionOf(deviceId: string): string {
    return String(createHash('sha256').update(deviceId, 'utf8').digest().readUInt32BE(0) % this.partitionCount);
  }

  append(event: RoutedEvent): StoredEvent {
    const partition = this.partitions[Number(this.partitionOf(event.deviceId))]!;
    const stored: StoredEvent = {
      ...event,
      partitionId: partition.id,
      sequenceNumber: partition.lastSequenceNumber + 1,
      offset: partition.nextOffset,
      enqueuedTime: Math.max(this.now(), partition.lastEnqueuedTime),
    };
    partition.lastSequenceNumber = stored.sequenceNumber;
    partition.lastOffset = stored.offset;
    partition.lastEnqueuedTime = stored.enqueuedTime;
    // Event Hubs offsets grow with the bytes stored; the exact figure is the service's business.
    partition.nextOffset += event.body.length + 64;
    partition.events.push(stored);
    this.prune(partition);
    for (const listener of partition.listeners) listener(stored);
    return stored;
  }

  /** The events of a partition still retained, oldest first. */
  retained(partitionId: string): readonly StoredEvent[] {
    const partition = this.require(partitionId);
    this.prune(partition);
    return partition.events;
  }

  info(partitionId: string): PartitionInfo {
    const partition = this.require(partitionId);
    this.prune(partition);
    const first = partition.events[0];
    return {
      partitionId,
      beginningSequenceNumber: first ? first.sequenceNumber : partition.lastSequenceNumber + 1,
      lastEnqueuedSequenceNumber: partition.lastSequenceNumber,
      lastEnqueuedOffset: partition.lastOffset,
      lastEnqueuedTime: partition.lastEnqueuedTime,
      isEmpty: partition.events.length === 0,
    };
  }

  /** Calls `listener` with every event appended to the partition from now on; returns the unsubscribe. */
  onAppend(partitionId: string, listener: (event: StoredEvent) => void): () => void {
    const partition = this.require(partitionId);
    partition.listeners.add(listener);
    return () => partition.listeners.delete(listener);
  }

  hasPartition(partitionId: string): boolean {
    return /^\d+$/.test(partitionId) && Number(partitionId) < this.partitionCount;
  }

  private require(partitionId: string): Partition {
    if (!this.hasPartition(partitionId)) throw new RangeError(`no partition ${partitionId}`);
    return this.partitions[Number(partitionId)]!;
  }

  private prune(partition: Partition): void {
    const events = partition.events;
    const over = Math.max(0, events.length - this.maxEvents);
    const oldest = this.now() - this.maxAgeMs;
    let old = 0;
    while (over + old < events.length && events[over + old]!.enqueuedTime < oldest) old++;
    if (over + old === 0) return;
    events.splice(0, over + old);
    this.overCount += over;
    this.expired += old;
  }
}
