import { ReplaySubject, type Observable } from 'rxjs';
import {
  type Clock,
  type PlayerState,
} from '../../core/index.js';
import type { MpdConnection } from './mpd-connection.js';
import {
  parseOutputName,
  parsePlaylistNames,
  splitStatusAndSong,
  toPlayerState,
  type MpdFields,
} from './mpd-response.js';

export interface MpdStateReaderOptions {
  readonly positionIntervalMs: number;
  readonly commandTimeoutMs: number;
  /** Told about a failed read triggered by an idle event (nobody else awaits those). */
  readonly onReadFailed: (error: unknown) => void;
}

/**
 * MPD's state as the player profile reports it, read when MPD signals a change (idle events) and
 * published only when it differs from what was last published. While playing, the position is
 * extrapolated from the last `elapsed` and reported every `positionIntervalMs` without asking MPD.
 */
export class MpdStateReader {
  readonly state$: Observable<PlayerState>;
  private readonly states = new ReplaySubject<PlayerState>(1);
  private connection: MpdConnection | undefined;
  private status: MpdFields = {};
  private song: MpdFields = {};
  /** When `status` was read (epoch ms); 0 until the first read. */
  private statusAt = 0;
  private playlists: readonly string[] = [];
  private device: string | undefined;
  /** The playlist loadPlaylist put in the queue, until the queue changes (MPD's queue version moves). */
  private loaded: { readonly name: string; queueVersion?: string } | undefined;
  private published: string | undefined;
  private positionTimer: { cancel(): void } | undefined;
  private statusReadQueued = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: MpdStateReaderOptions,
  ) {
    this.state$ = this.states.asObservable();
  }

  /** Reads everything over a new connection (MPD may have restarted with another queue), then publishes once. */
  async attach(connection: MpdConnection): Promise<void> {
    this.connection = connection;
    this.loaded = undefined;
    await this.readOutputs(connection, false);
    await this.readPlaylists(connection, false);
    await this.readStatus(connection);
  }

  /** The connection is gone: no more position reports until the next attach. */
  detach(): void {
    this.connection = undefined;
    this.stopPositionTimer();
  }

  /** Reacts to one subsystem of an idle answer (`changed: X`). */
  onChange(subsystem: string): void {
    const connection = this.connection;
    if (connection === undefined) return;
    const read = (reader: (c: MpdConnection) => Promise<unknown>): void =>
      void reader(connection).catch((error: unknown) => {
        // A lost connection is the connect loop's business; anything else is worth reporting.
        if (connection.isOpen) this.options.onReadFailed(error);
      });
    if (subsystem === 'stored_playlist') read((c) => this.readPlaylists(c));
    else if (subsystem === 'output') read((c) => this.readOutputs(c));
    else if (['player', 'mixer', 'playlist', 'options'].includes(subsystem) && !this.statusReadQueued) {
      // The subsystems of one idle answer arrive back to back: one read covers them all.
      this.statusReadQueued = true;
      queueMicrotask(() => {
        this.statusReadQueued = false;
        read((c) => this.readStatus(c));
      });
    }
  }

  /** Reads `status` + `currentsong` in one command list, publishes, and returns the status. */
  async readStatus(connection: MpdConnection): Promise<MpdFields> {
    const answer = await connection.sendList(['status', 'currentsong'], this.options.commandTimeoutMs);
    const { status, song } = splitStatusAndSong(answer);
    this.status = status;
    this.song = song;
    this.statusAt = this.clock.now();
    if (this.loaded !== undefined) {
      this.loaded.queueVersion ??= status['playlist'];
      if (this.loaded.queueVersion !== status['playlist']) this.loaded = undefined;
    }
    this.publish();
    this.armPositionTimer();
    return status;
  }

  /** Reads the stored playlists' names. */
  async readPlaylists(connection: MpdConnection, publish = true): Promise<readonly string[]> {
    this.playlists = parsePlaylistNames(await connection.send('listplaylists', this.options.commandTimeoutMs));
    if (publish) this.publish();
    return this.playlists;
  }

  /** Names the playlist just loaded; it stays reported until the queue changes. */
  playlistLoaded(name: string): void {
    this.loaded = { name };
  }

  /** The state now, with the position moved on since the last read. */
  current(): PlayerState {
    const context = { playlists: this.playlists, device: this.device, playlist: this.loaded?.name ?? null };
    return toPlayerState(this.status, this.song, context, (this.clock.now() - this.statusAt) / 1000);
  }

  /** Reads which output is enabled (reported as `audio.device`). */
  async readOutputs(connection: MpdConnection, publish = true): Promise<void> {
    this.device = parseOutputName(await connection.send('outputs', this.options.commandTimeoutMs));
    if (publish) this.publish();
  }

  private publish(): void {
    if (this.statusAt === 0) return; // nothing to say before the first status read
    const state = this.current();
    const serialised = JSON.stringify(state);
    if (serialised === this.published) return;
    this.published = serialised;
    this.states.next(state);
  }

  private armPositionTimer(): void {
    this.stopPositionTimer();
    if (this.status['state'] !== 'play' || this.connection === undefined) return;
    this.positionTimer = this.clock.setTimeout(() => {
      this.positionTimer = undefined;
      this.publish();
      this.armPositionTimer();
    }, this.options.positionIntervalMs);
  }

  private stopPositionTimer(): void {
    this.positionTimer?.cancel();
    this.positionTimer = undefined;
  }
}
