import { firstValueFrom, ReplaySubject, skip, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type DeviceInfo,
  type DeviceStateMessage,
  silentLogger,
  systemClock,
} from '../../core/index.js';
import type { HubEvent } from './hub-event.js';
import { pushedConnection$, pushedDevices$, pushedFleetStates$, pushedState$, type PushSources } from './pushed-views.js';
import type { ServiceTwin } from './service-client.js';

const twin = (volume: number, version: number): ServiceTwin => ({ etag: `e${version}`, reported: { volume }, reportedVersion: version, reportedUpdated: 1 });
const change = (volume: number, version: number): HubEvent => ({ kind: 'twinChange', deviceId: 'd', section: 'reported', patch: { volume }, version, at: 2 });
const changeOf = (deviceId: string, volume: number, version: number): HubEvent => ({ ...change(volume, version), deviceId });
const settle = () => new Promise((resolve) => setImmediate(resolve));

function sources(events: Subject<HubEvent>, twins: ServiceTwin[], presence?: { connected: boolean; changedAt?: string }): PushSources & { reads: number } {
  const state = {
    reads: 0,
    events$: events.asObservable(),
    readTwin: async () => twins[Math.min(state.reads++, twins.length - 1)],
    presence: async () => (presence ? { deviceId: 'd', ...presence } : undefined),
    listPresence: async () => [],
    retryMs: 1_000,
    clock: systemClock,
    logger: silentLogger,
  };
  return state;
}

describe('pushedState$', () => {
  it('shows the twin read, then only the next $version: replays and older changes never show as current', async () => {
    const events = new Subject<HubEvent>();
    const seen: DeviceStateMessage[] = [];
    const subscription = pushedState$(sources(events, [twin(5, 5)]), 'd').subscribe((message) => seen.push(message));
    await settle();
    for (const event of [change(3, 3), change(5, 5), change(6, 6), change(4, 4), change(6, 6)]) events.next(event);
    subscription.unsubscribe();
    expect(seen.map((message) => [message.version, message.state['volume']])).toEqual([
      [5, 5],
      [6, 6],
    ]);
  });

  it('holds changes that arrive during the read and applies those after it, in order', async () => {
    const events = new Subject<HubEvent>();
    const seen: DeviceStateMessage[] = [];
    const subscription = pushedState$(sources(events, [twin(1, 1)]), 'd').subscribe((message) => seen.push(message));
    events.next(change(3, 3));
    events.next(change(2, 2));
    events.next(change(1, 1));
    await settle();
    subscription.unsubscribe();
    expect(seen.map((message) => message.version)).toEqual([1, 2, 3]);
  });

  it('reads the twin again over a gap in the versions', async () => {
    const events = new Subject<HubEvent>();
    const seen: DeviceStateMessage[] = [];
    const source = sources(events, [twin(1, 1), twin(9, 9)]);
    const subscription = pushedState$(source, 'd').subscribe((message) => seen.push(message));
    await settle();
    events.next(change(9, 9));
    await settle();
    events.next(change(10, 10));
    subscription.unsubscribe();
    expect(source.reads).toBe(2);
    expect(seen.map((message) => [message.version, message.state['volume']])).toEqual([
      [1, 1],
      [9, 9],
      [10, 10],
    ]);
  });
});

describe('connection pushes', () => {
  it('ignores connection events older than what the registry said', async () => {
    const events = new Subject<HubEvent>();
    const seen: string[] = [];
    const at = Date.parse('2026-01-01T00:00:10Z');
    const subscription = pushedConnection$(sources(events, [], { connected: true, changedAt: new Date(at).toISOString() }), 'd').subscribe((state) => seen.push(state));
    await settle();
    events.next({ kind: 'connection', deviceId: 'd', connected: false, sequenceNumber: '01', at: at - 5_000 });
    events.next({ kind: 'connection', deviceId: 'd', connected: false, sequenceNumber: '02', at: at + 5_000 });
    events.next({ kind: 'connection', deviceId: 'd', connected: true, sequenceNumber: '01', at: at + 6_000 });
    events.next({ kind: 'telemetry', deviceId: 'd', body: {}, at: at + 7_000 });
    subscription.unsubscribe();
    expect(seen).toEqual(['unknown', 'online', 'offline', 'online']);
  });

  it('lists the registry and devices seen only in events, sorted, once per burst of events', async () => {
    const events = new Subject<HubEvent>();
    const lists = new ReplaySubject<readonly DeviceInfo[]>();
    const source = { ...sources(events, []), listPresence: async () => [{ deviceId: 'c', connected: false }, { deviceId: 'b', connected: true }] };
    const subscription = pushedDevices$(source).subscribe(lists);
    events.next({ kind: 'connection', deviceId: 'a', connected: true, sequenceNumber: '01', at: 1 });
    expect(await firstValueFrom(lists)).toEqual([
      { deviceId: 'a', presence: 'online' },
      { deviceId: 'b', presence: 'online' },
      { deviceId: 'c', presence: 'offline' },
    ]);
    for (let i = 0; i < 1_000; i++) events.next({ kind: 'connection', deviceId: `z${i}`, connected: i % 2 === 0, sequenceNumber: '01', at: 1 });
    events.next({ kind: 'connection', deviceId: 'c', connected: true, sequenceNumber: '02', at: 2 });
    // One list for the whole burst, not one per event.
    const burst = await firstValueFrom(lists.pipe(skip(1)));
    subscription.unsubscribe();
    expect(burst).toHaveLength(1_003);
    expect(burst.slice(0, 4)).toEqual([
      { deviceId: 'a', presence: 'online' },
      { deviceId: 'b', presence: 'online' },
      { deviceId: 'c', presence: 'online' },
      { deviceId: 'z0', presence: 'online' },
    ]);
  });
});

describe('pushedFleetStates$', () => {
  it('starts with each registered twin, then follows every device in $version order, reading a newcomer first', async () => {
    const events = new Subject<HubEvent>();
    const twins: Record<string, ServiceTwin> = { a: twin(1, 3), b: twin(2, 7), c: twin(3, 2) };
    const seen = new ReplaySubject<DeviceStateMessage>();
    const source = {
      ...sources(events, []),
      listPresence: async () => [{ deviceId: 'a', connected: true }, { deviceId: 'b', connected: true }],
      readTwin: async (deviceId: string) => twins[deviceId],
    };
    const subscription = pushedFleetStates$(source).subscribe(seen);
    const messages = (count: number) => firstValueFrom(seen.pipe(take(count), toArray()));
    await messages(2);
    for (const event of [changeOf('a', 9, 3), changeOf('b', 8, 8), changeOf('c', 5, 3), changeOf('a', 4, 4)]) events.next(event);
    const all = await messages(6);
    subscription.unsubscribe();
    const summary = all.map((message) => `${message.device_id}:${message.version}:${String(message.state['volume'])}`);
    expect(summary.slice(0, 2).toSorted()).toEqual(['a:3:1', 'b:7:2']);
    expect(summary.slice(2).toSorted()).toEqual(['a:4:4', 'b:8:8', 'c:2:3', 'c:3:5']);
    expect(summary.indexOf('c:2:3')).toBeLessThan(summary.indexOf('c:3:5'));
  });});
