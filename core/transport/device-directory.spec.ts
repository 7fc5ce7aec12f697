import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from './controller-transport.js';
import { deviceDirectory, type PresenceSighting } from './device-directory.js';

/** A directory on virtual time: `tick()` is the timer tick that ends a burst. */
function directory(): { sightings: Subject<PresenceSighting>; lists: DeviceInfo[][]; tick: () => void } {
  const scheduler = new VirtualTimeScheduler();
  const sightings = new Subject<PresenceSighting>();
  const lists: DeviceInfo[][] = [];
  sightings.pipe(deviceDirectory(scheduler)).subscribe((list) => lists.push([...list]));
  return { sightings, lists, tick: () => scheduler.flush() };
}

describe('deviceDirectory', () => {
  it('lists every device sorted by id, once for a burst of retained presences', () => {
    const { sightings, lists, tick } = directory();
    for (const id of ['player-003', 'player-001', 'player-010', 'player-002']) sightings.next({ deviceId: id, presence: 'online' });
    expect(lists).toEqual([]);
    tick();
    expect(lists).toEqual([
      [
        { deviceId: 'player-001', presence: 'online' },
        { deviceId: 'player-002', presence: 'online' },
        { deviceId: 'player-003', presence: 'online' },
        { deviceId: 'player-010', presence: 'online' },
      ],
    ]);
  });

  it('emits a new list when a presence changes, and none when it repeats', () => {
    const { sightings, lists, tick } = directory();
    sightings.next({ deviceId: 'b', presence: 'online' });
    tick();
    sightings.next({ deviceId: 'b', presence: 'online' });
    tick();
    sightings.next({ deviceId: 'a', presence: 'offline' });
    sightings.next({ deviceId: 'b', presence: 'offline' });
    tick();
    expect(lists).toEqual([
      [{ deviceId: 'b', presence: 'online' }],
      [
        { deviceId: 'a', presence: 'offline' },
        { deviceId: 'b', presence: 'offline' },
      ],
    ]);
  });

  it('keeps 10,000 devices in order whatever order they arrive in', () => {
    const { sightings, lists, tick } = directory();
    const ids = Array.from({ length: 10_000 }, (_, i) => `dev-${String((i * 7919) % 10_000).padStart(5, '0')}`);
    for (const id of ids) sightings.next({ deviceId: id, presence: 'online' });
    tick();
    expect(lists).toHaveLength(1);
    expect(lists[0]!.map((d) => d.deviceId)).toEqual(ids.toSorted());
  });
});
