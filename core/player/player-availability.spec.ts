import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../state/json.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import { playerAvailability } from './player-availability.js';

describe('playerAvailability', () => {
  it('reports the player unavailable with the reason while its link is down, available again once back, without repeats', () => {
    const status = new Subject<ConnectionStatus>();
    const seen: JsonObject[] = [];
    const patchOf = playerAvailability();
    status.subscribe((next) => {
      const patch = patchOf(next);
      if (patch) seen.push(patch);
    });
    status.next({ state: 'online', since: 1 });
    status.next({ state: 'online', since: 2 });
    status.next({ state: 'offline', since: 3, error: { code: 'unavailable', message: 'the connection to MPD was lost' } });
    status.next({ state: 'connecting', since: 4 });
    status.next({ state: 'online', since: 5 });
    status.next({ state: 'closed', since: 6 });
    expect(seen).toEqual([
      { player: { available: true, error: null } },
      { player: { available: false, error: 'the connection to MPD was lost' } },
      { player: { available: false, error: 'connecting to the player' } },
      { player: { available: true, error: null } },
    ]);
  });
});
