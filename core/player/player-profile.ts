import { map, merge } from 'rxjs';
import type { DeviceProfile } from '../agent/device-profile.js';
import type { PlayerAdapter } from './player-adapter.js';
import { playerAvailability } from './player-availability.js';
import { createPlayerCommands, playerStateToJson } from './player-commands.js';
import { reconcilePlayer } from './player-reconciler.js';

/** The name of the player device profile (`device.profile` in the config). */
export const PLAYER_PROFILE = 'player';

/**
 * The music-player device profile: its commands bound to `player`, its reported state
 * (`audio`, `playback`, `playlists`) from the player's state stream, `player` (is it reachable,
 * see playerAvailability) from its status, and its reconciler.
 */
export function createPlayerProfile(player: PlayerAdapter): DeviceProfile {
  return {
    name: PLAYER_PROFILE,
    commands: createPlayerCommands(player),
    state$: merge(player.state$.pipe(map(playerStateToJson)), playerAvailability(player.status$)),
    reconcile: reconcilePlayer,
  };
}
