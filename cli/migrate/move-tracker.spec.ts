import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MoveTracker } from './move-tracker.js';

const transports = { source: 'azure-iot-hub', target: 'aws-iot' };

describe('MoveTracker', () => {
  it('counts a device moved once the target has seen it online and in sync for the settle time', () => {
    const clock = new ManualClock(1_000_000);
    const tracker = new MoveTracker(5_000, transports, clock);
    tracker.presence('p1', 'source', 'online');
    tracker.state('p1', 'source', { audio: { volume: 20 }, system: { uptime: 10 } });
    tracker.presence('p1', 'target', 'online');
    tracker.state('p1', 'target', { audio: { volume: 20 }, system: { uptime: 11 } });
    expect(tracker.statuses()[0]).toMatchObject({ inSync: true, settledSince: 1_000_000, moved: false });
    clock.advance(5_000);
    tracker.tick();
    expect(tracker.statuses()[0]).toMatchObject({ moved: true });
    expect(tracker.allMoved()).toBe(true);
  });

  it('starts the settle time again when the states differ or the target goes offline', () => {
    const clock = new ManualClock(0);
    const tracker = new MoveTracker(5_000, transports, clock);
    tracker.presence('p1', 'source', 'online');
    tracker.presence('p1', 'target', 'online');
    tracker.state('p1', 'source', { audio: { volume: 20 } });
    tracker.state('p1', 'target', { audio: { volume: 20 } });
    clock.advance(4_000);
    tracker.state('p1', 'source', { audio: { volume: 21 } });
    expect(tracker.statuses()[0]).toMatchObject({ inSync: false, moved: false });
    tracker.state('p1', 'target', { audio: { volume: 21 } });
    clock.advance(4_000);
    tracker.presence('p1', 'target', 'offline');
    tracker.presence('p1', 'target', 'online');
    clock.advance(4_999);
    tracker.tick();
    expect(tracker.statuses()[0]?.moved).toBe(false);
    clock.advance(1);
    tracker.tick();
    expect(tracker.statuses()[0]?.moved).toBe(true);
  });

  it('after the cutover (source offline) needs only the target, and reads last command times per side', () => {
    const clock = new ManualClock(50_000);
    const tracker = new MoveTracker(0, transports, clock);
    tracker.presence('p1', 'source', 'offline');
    tracker.presence('p1', 'target', 'online');
    tracker.state('p1', 'target', { system: { last_command: { 'azure-iot-hub': 100, 'aws-iot': 200 } } }, 300);
    const [status] = tracker.statuses();
    expect(status).toMatchObject({ moved: true, source: { presence: 'offline', lastCommandAt: 100 }, target: { presence: 'online', lastStateAt: 300, lastCommandAt: 200 } });
  });

  it('is not moved while the target has no state or the device is unknown there', () => {
    const tracker = new MoveTracker(0, transports, new ManualClock(0));
    tracker.presence('p1', 'target', 'online');
    tracker.track('p2');
    expect(tracker.statuses().map((status) => status.moved)).toEqual([false, false]);
    expect(tracker.allMoved()).toBe(false);
  });
});
