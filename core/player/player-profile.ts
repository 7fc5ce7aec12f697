import { map, merge } from 'rxjs';
import type { DeviceProfile } from '../agent/device-profile.js';
import type { PlayerAdapter } from './player-adapter.js';
import { playerAvailability } from './player-availability.js';
import { createPlayerCommands, playerStateToJson, type PlayerFeatures } from './player-commands.js';
import { reconcilePlayer } from './player-reconciler.js';

/** The name of the player device profile (`device.profile` in the config). */
export const PLAYER_PROFILE = 'player';

/**
 * The music-player device profile: its commands bound to `player` and its optional features,
 * its reported state (`audio`, `playback`, `playlists` from the player's state stream, `player`
 * (is it reachable, see playerAvailability) from its status, `content` from content sync), and
 * its reconciler.
 */
export function createPlayerProfile(player: PlayerAdapter, features: PlayerFeatures = {}): DeviceProfile {
  const playerState$ = player.state$.pipe(map(playerStateToJson));
  const availability$ = playerAvailability(player.status$);
  const content = features.content;
  return {
    name: PLAYER_PROFILE,
    commands: createPlayerCommands(player, features),
    state$: content ? merge(playerState$, availability$, content.state$) : merge(playerState$, availability$),
    reconcile: reconcilePlayer,
    ...(content ? { beforeStop: () => content.cancel() } : {}),
  };
}
