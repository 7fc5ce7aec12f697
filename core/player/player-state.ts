/** The player device profile's reported state (the AmoraOS device twin shape). */
export type PlaybackStatus = 'playing' | 'paused' | 'stopped';

export interface AudioState {
  /** 0-100. */
  readonly volume: number;
  readonly device?: string;
  readonly backend?: string;
}

export interface PlaybackState {
  readonly status: PlaybackStatus;
  /** Track title, falling back to its file name; null when the queue is empty. */
  readonly current_track: string | null;
  /** Seconds into the current track. */
  readonly position: number;
  /** Seconds; 0 when unknown. */
  readonly duration: number;
  /** Name of the playlist last loaded, null when unknown. */
  readonly playlist: string | null;
}

/** What a player adapter reports; the agent adds the `system` section. */
export interface PlayerState {
  readonly audio: AudioState;
  readonly playback: PlaybackState;
  readonly playlists: readonly string[];
}

export interface SystemState {
  readonly version: string;
  /** Seconds since the agent started. */
  readonly uptime: number;
  /** Bytes free where content is stored, when known. */
  readonly free_space?: number;
}

/**
 * The AmoraSDK Azure guide's `PlayerStatus`: reported as `status` and sent as the `status` of
 * `playerStatus` telemetry. `current_song` is the current track's title (file name when untagged).
 */
export interface PlayerStatus {
  readonly state: PlaybackStatus;
  readonly volume: number;
  readonly current_song: string | null;
  readonly playlist: string | null;
}
