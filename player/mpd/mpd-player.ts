import { inject, injectable, optional } from 'inversify';
import { BehaviorSubject, type Observable } from 'rxjs';
import {
  CommandError,
  ExponentialBackoffRetryPolicy,
  silentLogger,
  systemClock,
  toErrorObject,
  TOKENS,
  type Clock,
  type ConnectionStatus,
  type LibraryChange,
  type Logger,
  type PlayerAdapter,
  type PlayerState,
  type RetryPolicy,
} from '../../core/index.js';
import { MpdConnection } from './mpd-connection.js';
import { updateLibrary } from './mpd-library-update.js';
import { toCommandError } from './mpd-errors.js';
import { parseOutputs } from './mpd-response.js';
import type { MpdPlayerOptions } from './mpd-player-options.js';
import { quote, type MpdTarget } from './mpd-socket.js';
import { MpdStateReader } from './mpd-state-reader.js';

/**
 * Drives a real MPD over two sockets (see MpdConnection): one idling, one for commands. State
 * comes from MPD's idle notifications (player, mixer, playlist, options, stored_playlist, output),
 * each followed at once by one `status` + `currentsong` read on the command socket; while
 * playing, the position is extrapolated locally from the last `elapsed`, so nothing is polled.
 * A lost connection turns `status$` offline, is retried with the RetryPolicy and fully resynced;
 * meanwhile commands reject at once with `unavailable`.
 */
@injectable()
export class MpdPlayer implements PlayerAdapter {
  readonly state$: Observable<PlayerState>;
  readonly status$: Observable<ConnectionStatus>;

  private readonly reader: MpdStateReader;
  private readonly statuses: BehaviorSubject<ConnectionStatus>;
  private readonly retryPolicy: RetryPolicy;
  private connection: MpdConnection | undefined;
  private run: AbortController | undefined;
  private loop: Promise<void> | undefined;
  /** Counts MPD's `update` idle events (a database update started or finished). */
  private readonly databaseUpdates = new BehaviorSubject(0);

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: MpdPlayerOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Clock) @optional() private readonly clock: Clock = systemClock,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy?: RetryPolicy,
    @inject(TOKENS.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {
    this.retryPolicy =
      options.reconnect !== undefined || retryPolicy === undefined
        ? new ExponentialBackoffRetryPolicy(options.reconnect ?? {})
        : retryPolicy;
    this.reader = new MpdStateReader(clock, {
      positionIntervalMs: options.positionIntervalMs,
      commandTimeoutMs: options.commandTimeoutMs,
      onReadFailed: (error) => logger.warn({ player: id, err: toErrorObject(error) }, 'MPD state read failed'),
    });
    this.statuses = new BehaviorSubject<ConnectionStatus>({ state: 'connecting', since: clock.now() });
    this.state$ = this.reader.state$;
    this.status$ = this.statuses.asObservable();
  }

  /** Connects; resolves once the first attempt has settled (online, or offline and retrying). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.run !== undefined) throw new Error(`player ${this.id} started twice`);
    signal.throwIfAborted();
    const run = new AbortController();
    this.run = run;
    signal.addEventListener('abort', () => run.abort(), { once: true, signal: run.signal });
    await new Promise<void>((settled) => {
      this.loop = this.connectLoop(run.signal, settled);
    });
  }

  /** Closes the connection and ends the reconnect loop. Idempotent. */
  async stop(): Promise<void> {
    if (this.run === undefined) return;
    this.run.abort();
    this.reader.detach();
    await this.connection?.close();
    await this.loop;
    this.setStatus({ state: 'closed', since: this.clock.now() });
  }

  async play(): Promise<void> {
    await this.exec('play', async (connection) => {
      const status = await this.reader.readStatus(connection);
      if (status['playlistlength'] === '0') throw new CommandError('conflict', 'the queue is empty: load a playlist first');
      await connection.send('play', this.options.commandTimeoutMs);
    });
  }

  async pause(): Promise<void> {
    // `pause 1`, not the deprecated toggle: pausing twice stays paused, pausing when stopped does nothing.
    await this.exec('pause', (connection) => connection.send('pause 1', this.options.commandTimeoutMs));
  }

  async stopPlayback(): Promise<void> {
    await this.exec('stop', (connection) => connection.send('stop', this.options.commandTimeoutMs));
  }

  async next(): Promise<void> {
    await this.exec('next', async (connection) => {
      const status = await this.reader.readStatus(connection);
      if (status['state'] !== 'play' && status['state'] !== 'pause') {
        throw new CommandError('conflict', 'cannot go to the next track: not playing');
      }
      // MPD silently stops at the end of the queue; the profile answers conflict instead.
      const last = Number(status['song']) >= Number(status['playlistlength']) - 1;
      if (last && status['repeat'] !== '1' && status['random'] !== '1') {
        throw new CommandError('conflict', 'already at the last track of the queue');
      }
      await connection.send('next', this.options.commandTimeoutMs);
    });
  }

  async previous(): Promise<void> {
    await this.exec('previous', (connection) => connection.send('previous', this.options.commandTimeoutMs));
  }

  async setVolume(volume: number): Promise<void> {
    if (!Number.isInteger(volume) || volume < 0 || volume > 100) {
      throw new CommandError('invalid_params', `volume must be an integer 0-100, got ${volume}`);
    }
    await this.exec('setvol', (connection) => connection.send(`setvol ${volume}`, this.options.commandTimeoutMs));
  }

  async seek(position: number): Promise<void> {
    if (!Number.isFinite(position) || position < 0) {
      throw new CommandError('invalid_params', `position must be a number of seconds >= 0, got ${position}`);
    }
    await this.exec('seekcur', async (connection) => {
      const status = await this.reader.readStatus(connection);
      if (status['state'] !== 'play' && status['state'] !== 'pause') {
        throw new CommandError('conflict', 'cannot seek: not playing');
      }
      // MPD accepts a position past the end (and ends the track); the profile refuses it.
      const duration = Number.parseFloat(status['duration'] ?? '');
      if (Number.isFinite(duration) && position > duration) {
        throw new CommandError('invalid_params', `position ${position} is outside the track (0-${duration} s)`, {
          details: { position, duration },
        });
      }
      await connection.send(`seekcur ${position}`, this.options.commandTimeoutMs);
    });
  }

  async loadPlaylist(name: string): Promise<void> {
    if (name.length === 0) throw new CommandError('invalid_params', 'playlist name must not be empty');
    await this.exec('load', async (connection) => {
      // Checked first: in a command list MPD keeps what ran before a failure, so a bad name
      // would otherwise leave the queue cleared.
      await connection.send(`listplaylist ${quote(name)}`, this.options.commandTimeoutMs);
      await connection.sendList(['clear', `load ${quote(name)}`, 'play'], this.options.commandTimeoutMs);
      this.reader.playlistLoaded(name);
    });
  }

  /**
   * Plays through the output named `name` only: enables it, then disables the others (MPD
   * `outputs`, `enableoutput`, `disableoutput`; output ids are MPD's numbers, never user text).
   * `default` with no output of that name keeps MPD's own outputs. An unknown name is `not_found`.
   */
  async setOutput(name: string): Promise<void> {
    if (name.length === 0) throw new CommandError('invalid_params', 'output name must not be empty');
    await this.exec('enableoutput', async (connection) => {
      const outputs = parseOutputs(await connection.send('outputs', this.options.commandTimeoutMs));
      const target = outputs.find((output) => output.name === name);
      if (target === undefined) {
        if (name === 'default') return;
        throw new CommandError('not_found', `MPD has no audio output named "${name}"`, { details: { name, outputs: outputs.map((o) => o.name) } });
      }
      const others = outputs.filter((output) => output.id !== target.id && output.enabled).map((output) => `disableoutput ${output.id}`);
      await connection.sendList([`enableoutput ${target.id}`, ...others], this.options.commandTimeoutMs);
      await this.reader.readOutputs(connection, false);
    });
  }

  async getPlaylists(): Promise<readonly string[]> {
    return this.exec(
      'listplaylists',
      (connection) => this.reader.readPlaylists(connection),
      false,
    );
  }

  async getStatus(): Promise<PlayerState> {
    return this.exec(
      'status',
      async (connection) => {
        await this.reader.readStatus(connection);
        return this.reader.current();
      },
      false,
    );
  }

  /**
   * After content sync: rescans the changed folders, waits for MPD's database update to finish,
   * then re-reads the stored playlists (MPD reads its playlist folder directly), so reported
   * `playlists` list the new ones before the sync answers.
   */
  async refreshLibrary(library: LibraryChange): Promise<void> {
    await this.exec(
      'update',
      async (connection) => {
        await updateLibrary(connection, library.changed, this.databaseUpdates, this.options.commandTimeoutMs);
        await this.reader.readPlaylists(connection);
      },
      false,
    );
  }

  /**
   * Runs an operation on the live connection and maps failures to coded errors. After a change
   * (`reread`) it reads the state before answering, so the caller's next read agrees with it.
   */
  private async exec<T>(
    command: string,
    operation: (connection: MpdConnection) => Promise<T>,
    reread = true,
  ): Promise<T> {
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) {
      throw new CommandError('unavailable', `MPD is not connected (${this.describeTarget()})`);
    }
    try {
      const result = await operation(connection);
      if (reread) await this.reader.readStatus(connection);
      return result;
    } catch (error) {
      throw toCommandError(error, command);
    }
  }

  private async connectLoop(signal: AbortSignal, settled: () => void): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      let connection: MpdConnection | undefined;
      try {
        connection = await MpdConnection.open(this.target(), this.clock, (subsystem) => {
          if (subsystem === 'update') this.databaseUpdates.next(this.databaseUpdates.value + 1);
          this.reader.onChange(subsystem);
        });
        if (signal.aborted) {
          // stop() came while connecting: this connection is nobody else's to close.
          await connection.close();
          break;
        }
        this.connection = connection;
        await this.reader.attach(connection);
        attempt = 0;
        this.setStatus({ state: 'online', since: this.clock.now() });
        this.logger.info({ player: this.id, mpd: this.describeTarget() }, 'connected to MPD');
        settled();
        const reason = await connection.closed;
        if (signal.aborted) break;
        this.onLost(reason);
      } catch (error) {
        if (signal.aborted) break;
        await connection?.close();
        this.onLost(error);
        if (!this.retryPolicy.shouldRetry(error)) {
          this.logger.error({ player: this.id, err: toErrorObject(error) }, 'MPD refused the connection; not retrying');
          break;
        }
      } finally {
        settled();
      }
      await this.wait(this.retryPolicy.nextRetryTimeout(Math.max(attempt, 1), false), signal);
    }
    await this.connection?.close();
    this.connection = undefined;
  }

  private onLost(error: unknown): void {
    this.connection = undefined;
    this.reader.detach();
    const errorObject = toErrorObject(error, 'unavailable');
    this.logger.warn({ player: this.id, err: errorObject }, 'MPD unreachable');
    this.setStatus({ state: 'offline', since: this.clock.now(), error: errorObject });
  }

  private setStatus(status: ConnectionStatus): void {
    const previous = this.statuses.value;
    if (previous.state === status.state && previous.error?.message === status.error?.message) return;
    this.statuses.next(status);
  }

  private wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = this.clock.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private target(): MpdTarget {
    const { host, port, socketPath, password, connectTimeoutMs } = this.options;
    return { host, port, socketPath, password: password === '' ? undefined : password, connectTimeoutMs };
  }

  /** Where MPD is, for messages; never includes the password. */
  private describeTarget(): string {
    return this.options.socketPath ?? `${this.options.host}:${this.options.port}`;
  }
}
