import { describe, expect, it } from 'vitest';
import { parseEventPosition, startsAt } from './event-position.js';
import { EventStore, type RoutedEvent } from './event-store.js';

const event = (deviceId: string, text = 'x'): RoutedEvent => ({ deviceId, body: Buffer.from(text), properties: {}, annotations: {} });

const storedAt = (sequenceNumber: number, offset: number, enqueuedTime: number) => ({ ...event('d'), partitionId: '0', sequenceNumber, offset, enqueuedTime });

describe('EventStore', () => {
  it('keeps one device on one partition, numbering each partition from 0 with growing offsets', () => {
    const store = new EventStore({ partitionCount: 4 });
    const a = [store.append(event('dev-a')), store.append(event('dev-a', 'longer body'))];
    expect(a[0]!.partitionId).toBe(a[1]!.partitionId);
    expect(a.map((stored) => stored.sequenceNumber)).toEqual([0, 1]);
    expect(a[1]!.offset).toBeGreaterThan(a[0]!.offset);
    const spread = new Set(Array.from({ length: 40 }, (_, index) => store.partitionOf(`device-${index}`)));
    expect(spread.size).toBe(4);
  });

  it('drops the oldest beyond the count bound and those past the age bound, counting each', () => {
    let now = 1_000;
    const store = new EventStore({ partitionCount: 1, maxEventsPerPartition: 3, maxAgeMs: 500, now: () => now });
    for (let index = 0; index < 5; index++) store.append(event('d', String(index)));
    expect(store.retained('0').map((stored) => stored.sequenceNumber)).toEqual([2, 3, 4]);
    expect(store.drops).toEqual({ overCount: 2, expired: 0 });
    now += 400;
    store.append(event('d'));
    now += 200;
    expect(store.retained('0').map((stored) => stored.sequenceNumber)).toEqual([5]);
    expect(store.drops).toEqual({ overCount: 3, expired: 2 });
    expect(store.info('0')).toMatchObject({ beginningSequenceNumber: 5, lastEnqueuedSequenceNumber: 5, isEmpty: false });
  });

  it('refuses a partition count Event Hubs would not have', () => {
    expect(() => new EventStore({ partitionCount: 0 })).toThrow(/partitionCount/);
  });
});

describe('event positions from selector filters', () => {
  it('reads the filters @azure/event-hubs attaches with', () => {
    expect(parseEventPosition("amqp.annotation.x-opt-offset > '-1'")).toEqual({ kind: 'earliest' });
    expect(parseEventPosition("amqp.annotation.x-opt-offset > '@latest'")).toEqual({ kind: 'latest' });
    expect(parseEventPosition("amqp.annotation.x-opt-sequence-number >= '7'")).toEqual({ kind: 'sequenceNumber', value: 7, inclusive: true });
    expect(parseEventPosition("amqp.annotation.x-opt-enqueued-time > '1700000000000'")).toEqual({ kind: 'enqueuedTime', value: 1_700_000_000_000, inclusive: false });
    expect(parseEventPosition(undefined)).toEqual({ kind: 'latest' });
    expect(() => parseEventPosition("amqp.annotation.x-opt-offset > 'abc'")).toThrow(/not a number/);
    expect(() => parseEventPosition('1 = 1')).toThrow(/unsupported selector/);
  });

  it('starts after the position, or at it when inclusive; latest means after the last event at attach', () => {
    const events = [storedAt(0, 0, 10), storedAt(1, 100, 20), storedAt(2, 200, 30)];
    const pick = (selector: string, last = 2) => events.filter(startsAt(parseEventPosition(selector), last)).map((e) => e.sequenceNumber);
    expect(pick("amqp.annotation.x-opt-sequence-number > '0'")).toEqual([1, 2]);
    expect(pick("amqp.annotation.x-opt-offset >= '100'")).toEqual([1, 2]);
    expect(pick("amqp.annotation.x-opt-enqueued-time > '20'")).toEqual([2]);
    expect(pick("amqp.annotation.x-opt-offset > '@latest'", 1)).toEqual([2]);
  });
});
