import { isJsonObject, type JsonObject, type JsonValue } from '../core/index.js';

/**
 * The AmoraSDK guide's `PlayerStatus`: what `getStatus()` returns and status callbacks receive.
 * `state` is `playing`, `paused` or `stopped` (`unknown` when the device cannot be read).
 */
export interface PlayerStatus {
  readonly state: string;
  /** 0-100. */
  readonly volume: number;
  readonly current_song: JsonValue;
  readonly playlist: string | null;
}

/** What `getStatus()` answers when the device's state cannot be read, as the guide's client does. */
export const UNKNOWN_STATUS: PlayerStatus = Object.freeze({ state: 'unknown', volume: 0, current_song: null, playlist: null });

/**
 * A device's reported state as the guide's PlayerStatus: its own `status` section when it reports
 * one (the Azure guide's twin shape), else built from the player profile's `playback` and `audio`
 * sections (every transport reports those), so the same app code reads any fleet.
 */
export function playerStatusOf(state: JsonObject | undefined): PlayerStatus {
  if (!state) return UNKNOWN_STATUS;
  const own = state['status'];
  if (isJsonObject(own) && typeof own['state'] === 'string') {
    return {
      state: own['state'],
      volume: typeof own['volume'] === 'number' ? own['volume'] : 0,
      current_song: own['current_song'] ?? null,
      playlist: typeof own['playlist'] === 'string' ? own['playlist'] : null,
    };
  }
  const playback = isJsonObject(state['playback']) ? state['playback'] : {};
  const audio = isJsonObject(state['audio']) ? state['audio'] : {};
  if (typeof playback['status'] !== 'string' && typeof audio['volume'] !== 'number') return UNKNOWN_STATUS;
  return {
    state: typeof playback['status'] === 'string' ? playback['status'] : 'unknown',
    volume: typeof audio['volume'] === 'number' ? audio['volume'] : 0,
    current_song: playback['current_track'] ?? null,
    playlist: typeof playback['playlist'] === 'string' ? playback['playlist'] : null,
  };
}

/** The playlist names a device reports (`playlists`), names only. */
export function playlistsOf(state: JsonObject | undefined): string[] {
  const playlists = state?.['playlists'];
  if (!Array.isArray(playlists)) return [];
  return playlists.flatMap((entry) => {
    if (typeof entry === 'string') return [entry];
    if (isJsonObject(entry) && typeof entry['name'] === 'string') return [entry['name']];
    return [];
  });
}
