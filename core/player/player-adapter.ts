import type { Observable } from 'rxjs';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { PlayerState } from './player-state.js';

/**
 * Binds the player profile to a real or simulated player. Operations reject with a CommandError
 * carrying a meaningful code (`not_found` for an unknown playlist, `conflict` for next at the end
 * of the queue, `unavailable` while the player is unreachable); they never hang.
 * `stopPlayback` is named apart from the lifecycle `stop()`.
 */
export interface PlayerAdapter {
  readonly id: string;
  /** Current state; emits on every change (and periodically for position while playing). */
  readonly state$: Observable<PlayerState>;
  /** Health of the link to the player. */
  readonly status$: Observable<ConnectionStatus>;

  /**
   * Optional: calls `listener` with the current state and status, then with every change (what
   * state$ and status$ emit), until the returned function is called; one listener, a later call
   * replaces it. The player profile uses it instead of subscribing when a player has it: two RxJS
   * subscriptions kept per agent are memory a fleet of in-process agents multiplies.
   */
  watch?(listener: { state(state: PlayerState): void; status(status: ConnectionStatus): void }): () => void;

  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;

  play(): Promise<void>;
  pause(): Promise<void>;
  stopPlayback(): Promise<void>;
  next(): Promise<void>;
  previous(): Promise<void>;
  /** 0-100. */
  setVolume(volume: number): Promise<void>;
  /** Seconds into the current track. */
  seek(position: number): Promise<void>;
  /** Replaces the queue with a stored playlist and starts playing it. */
  loadPlaylist(name: string): Promise<void>;
  getPlaylists(): Promise<readonly string[]>;
  /**
   * Plays through the audio output of this name (MPD: enables that output, disables the others),
   * reported as `audio.device`. `default` keeps the player's own choice. Rejects with `not_found`
   * for an output the player does not have. Players without selectable outputs leave it out.
   */
  setOutput?(name: string): Promise<void>;
  getStatus(): Promise<PlayerState>;
  /**
   * Tells the player that content sync changed its folders: rescan `library.changed` (paths
   * relative to the music folder) and take `library.playlists` (every stored playlist now there).
   * Resolves once the player's reported `playlists` show the result. Optional: a player without
   * a library of files leaves it out.
   */
  refreshLibrary?(library: LibraryChange): Promise<void>;
}

/** What a content sync changed, for PlayerAdapter.refreshLibrary. */
export interface LibraryChange {
  /** Music files written or removed, relative to the music folder, `/`-separated. */
  readonly changed: readonly string[];
  /** Every stored playlist in the playlists folder after the sync, with its entries. */
  readonly playlists: readonly { readonly name: string; readonly entries: readonly string[] }[];
}
