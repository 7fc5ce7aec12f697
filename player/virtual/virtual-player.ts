import { inject, injectable, optional } from 'inversify';
import { BehaviorSubject, type Observable } from 'rxjs';
import {
  CommandError,
  systemClock,
  TOKENS,
  type Clock,
  type ConnectionStatus,
  type LibraryChange,
  type PlayerAdapter,
  type PlayerState,
} from '../../core/index.js';
import { VirtualPlayback } from './virtual-playback.js';
import { DEFAULT_VIRTUAL_PLAYLISTS, type VirtualPlayerOptions, type VirtualTrack } from './virtual-player-options.js';

/**
 * An in-memory player for demos, dev mode, tests and benchmarks. It behaves like MPD (same state
 * transitions, same errors), advances positions from the injected clock, reports the position every
 * `positionIntervalMs` while playing and moves to the next track when one ends.
 */
@injectable()
export class VirtualPlayer implements PlayerAdapter {
  private readonly playback: VirtualPlayback;
  private playlists: Readonly<Record<string, readonly VirtualTrack[]>>;
  private readonly states: BehaviorSubject<PlayerState>;
  private readonly statuses: BehaviorSubject<ConnectionStatus>;
  private volume: number;
  private playlist: string | null = null;
  private device: string;
  private timer: { cancel(): void } | undefined;
  private running = false;
  /** The one watch() listener (the player profile's), called next to the subjects. */
  private watcher?: { state(state: PlayerState): void; status(status: ConnectionStatus): void };

  readonly state$: Observable<PlayerState>;
  readonly status$: Observable<ConnectionStatus>;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: VirtualPlayerOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Clock) @optional() private readonly clock: Clock = systemClock,
  ) {
    this.playback = new VirtualPlayback(() => clock.now());
    this.playlists = options.playlists ?? DEFAULT_VIRTUAL_PLAYLISTS;
    this.volume = options.initialVolume;
    this.device = options.device;
    this.states = new BehaviorSubject(this.snapshot());
    this.statuses = new BehaviorSubject<ConnectionStatus>({ state: 'connecting', since: clock.now() });
    this.state$ = this.states.asObservable();
    // No distinctUntilChanged: start() and stop() never repeat a state, and the operator would cost
    // every subscriber (each agent of a fleet) a subscriber of its own.
    this.status$ = this.statuses.asObservable();
  }

  watch(listener: { state(state: PlayerState): void; status(status: ConnectionStatus): void }): () => void {
    this.watcher = listener;
    listener.state(this.states.value);
    listener.status(this.statuses.value);
    return () => {
      if (this.watcher === listener) this.watcher = undefined;
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.running = true;
    // A real player comes up with its saved queue; so does this one (options.queue).
    const queue = this.options.queue ?? Object.keys(this.playlists)[0];
    const tracks = queue ? this.playlists[queue] : undefined;
    if (queue && tracks) {
      this.playback.cue(tracks);
      this.playlist = queue;
      this.publish();
    }
    if (this.statuses.value.state !== 'online') this.setStatus({ state: 'online', since: this.clock.now() });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.setStatus({ state: 'closed', since: this.clock.now() });
  }

  async play(): Promise<void> {
    this.run(() => this.playback.play());
  }

  async pause(): Promise<void> {
    this.run(() => this.playback.pause());
  }

  async stopPlayback(): Promise<void> {
    this.run(() => this.playback.stop());
  }

  async next(): Promise<void> {
    this.run(() => this.playback.next());
  }

  async previous(): Promise<void> {
    this.run(() => this.playback.previous());
  }

  async setVolume(volume: number): Promise<void> {
    this.run(() => {
      if (!Number.isInteger(volume) || volume < 0 || volume > 100) {
        throw new CommandError('invalid_params', `volume must be an integer 0-100, got ${volume}`);
      }
      this.volume = volume;
    });
  }

  async seek(position: number): Promise<void> {
    this.run(() => this.playback.seek(position));
  }

  async loadPlaylist(name: string): Promise<void> {
    this.run(() => {
      const tracks = Object.hasOwn(this.playlists, name) ? this.playlists[name] : undefined;
      if (tracks === undefined) throw new CommandError('not_found', `no such playlist: ${name}`, { details: { name } });
      this.playback.load(tracks);
      this.playlist = name;
    });
  }

  /** Any name is an output of the virtual player: it is only reported. */
  async setOutput(name: string): Promise<void> {
    this.run(() => {
      this.device = name;
    });
  }

  async getPlaylists(): Promise<readonly string[]> {
    this.requireRunning();
    return Object.keys(this.playlists);
  }

  /**
   * Takes the playlists content sync found in the playlists folder, so a dev_mode device shows
   * what a real one would. Entries play for LIBRARY_TRACK_SECONDS (the files are not decoded).
   * A folder without playlists leaves the current library, so a demo always has something to play.
   */
  async refreshLibrary(library: LibraryChange): Promise<void> {
    const found = library.playlists.filter((playlist) => playlist.entries.length > 0);
    if (found.length === 0) return;
    this.playlists = Object.fromEntries(
      found.map((playlist) => [playlist.name, playlist.entries.map((entry) => ({ title: trackTitle(entry), duration: LIBRARY_TRACK_SECONDS }))]),
    );
    this.setState(this.snapshot());
  }

  async getStatus(): Promise<PlayerState> {
    this.run(() => undefined);
    return this.states.value;
  }

  /** Settles track ends, applies one operation, publishes the result and re-arms the position timer. */
  private run(operation: () => void): void {
    this.requireRunning();
    this.playback.settle();
    try {
      operation();
    } finally {
      this.publish();
      this.schedule();
    }
  }

  private requireRunning(): void {
    if (!this.running) throw new CommandError('unavailable', `player ${this.id} is not running`);
  }

  /** One timer at a time: the next position report, or the end of the track if that comes first. */
  private schedule(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const untilEnd = this.playback.msUntilTrackEnd();
    if (untilEnd === undefined || !this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.playback.settle();
      this.publish();
      this.schedule();
    }, Math.min(this.options.positionIntervalMs, untilEnd));
  }

  private publish(): void {
    const next = this.snapshot();
    if (JSON.stringify(next) !== JSON.stringify(this.states.value)) this.setState(next);
  }

  private setState(state: PlayerState): void {
    this.states.next(state);
    this.watcher?.state(state);
  }

  private setStatus(status: ConnectionStatus): void {
    this.statuses.next(status);
    this.watcher?.status(status);
  }

  private snapshot(): PlayerState {
    const track = this.playback.track;
    return {
      audio: { volume: this.volume, device: this.device, backend: 'virtual' },
      playback: {
        status: this.playback.status,
        current_track: track?.title ?? null,
        // Millisecond precision: enough for a UI, and stable across equal clock readings.
        position: Math.round(this.playback.position * 1000) / 1000,
        duration: track?.duration ?? 0,
        playlist: this.playlist,
      },
      playlists: Object.keys(this.playlists),
    };
  }
}

/** How long a track from a synced playlist plays in the simulation. */
const LIBRARY_TRACK_SECONDS = 180;

/** `albums/Blue in Green.flac` → `Blue in Green`. */
function trackTitle(entry: string): string {
  const name = entry.split(/[\\/]/).pop() ?? entry;
  return name.replace(/\.[^.]+$/, '') || name;
}
