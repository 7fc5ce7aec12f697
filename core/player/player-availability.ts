import { distinctUntilChanged, filter, map, type Observable } from 'rxjs';
import type { JsonObject } from '../state/json.js';
import type { ConnectionStatus } from '../transport/connection-status.js';

/**
 * The `player` section of reported state, from the player link's status: `{available: true}`
 * while the player answers (the patch's `error: null` deletes a previous error), `{available:
 * false, error: "<why>"}` while it does not
 * (MPD killed or restarting). Without it an outage is invisible on the wire: the last `playback`
 * stays `playing` while every command answers `unavailable`. The name keeps clear of the AmoraOS
 * sections (`audio`, `playback`, `playlists`, `system`).
 *
 * Emits merge patches. `closed` (the agent stopping) changes nothing: the device goes offline anyway.
 */
export function playerAvailability(status$: Observable<ConnectionStatus>): Observable<JsonObject> {
  return status$.pipe(
    filter((status) => status.state !== 'closed'),
    map((status) => {
      const available = status.state === 'online';
      const error = available ? null : (status.error?.message ?? (status.state === 'connecting' ? 'connecting to the player' : 'the player is unreachable'));
      return { available, error };
    }),
    distinctUntilChanged((a, b) => a.available === b.available && a.error === b.error),
    map((section) => ({ player: section })),
  );
}
