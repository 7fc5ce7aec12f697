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
 * Returns a function that turns each status into the merge patch to publish, or undefined when
 * there is nothing new: the same availability again, or `closed` (the agent stopping changes
 * nothing: the device goes offline anyway). A plain function rather than an operator chain, as
 * every agent with a player keeps one for its whole life.
 */
export function playerAvailability(): (status: ConnectionStatus) => JsonObject | undefined {
  let last: { readonly available: boolean; readonly error: string | null } | undefined;
  return (status) => {
    if (status.state === 'closed') return undefined;
    const available = status.state === 'online';
    const error = available ? null : (status.error?.message ?? (status.state === 'connecting' ? 'connecting to the player' : 'the player is unreachable'));
    if (last?.available === available && last.error === error) return undefined;
    last = { available, error };
    return { player: last };
  };
}
