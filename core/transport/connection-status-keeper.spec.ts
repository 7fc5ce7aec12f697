import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { ConnectionStatus } from './connection-status.js';
import { ConnectionStatusKeeper } from './connection-status-keeper.js';

function record(keeper: ConnectionStatusKeeper): ConnectionStatus[] {
  const seen: ConnectionStatus[] = [];
  keeper.status$.subscribe((status) => seen.push(status));
  return seen;
}

describe('ConnectionStatusKeeper', () => {
  it('starts offline and stamps since on each change of state only', () => {
    const clock = new ManualClock(1_000);
    const keeper = new ConnectionStatusKeeper(clock);
    const seen = record(keeper);
    clock.advance(5);
    keeper.set('connecting', undefined);
    clock.advance(5);
    keeper.set('connecting', undefined);
    keeper.set('online', undefined);
    expect(seen).toEqual([
      { state: 'offline', since: 1_000 },
      { state: 'connecting', since: 1_005 },
      { state: 'online', since: 1_010 },
    ]);
    expect(keeper.current).toEqual({ state: 'online', since: 1_010 });
  });

  it('carries the outbox counters and the last error, and shows a changed error', () => {
    const clock = new ManualClock(0);
    const keeper = new ConnectionStatusKeeper(clock);
    const seen = record(keeper);
    const error = { code: 'unavailable', message: 'gone' };
    keeper.set('offline', error);
    keeper.setOutbox({ queued: 2, dropped: 0 });
    keeper.set('offline', { code: 'timeout', message: 'gone' });
    expect(seen.slice(1)).toEqual([
      { state: 'offline', since: 0, error },
      { state: 'offline', since: 0, error, outbox: { queued: 2, dropped: 0 } },
      { state: 'offline', since: 0, error: { code: 'timeout', message: 'gone' }, outbox: { queued: 2, dropped: 0 } },
    ]);
  });

  it('takes its own notion of a repeat', () => {
    const keeper = new ConnectionStatusKeeper(new ManualClock(0), (a, b) => a.state === b.state);
    const seen = record(keeper);
    keeper.set('offline', { code: 'unavailable', message: 'gone' });
    expect(seen).toHaveLength(1);
  });
});
