import { BehaviorSubject, type Observable } from 'rxjs';
import {
  CommandError,
  isAmoraError,
  toErrorObject,
  type Clock,
  type ContentConfig,
  type ContentSource as ContentSourceConfig,
  type ContentSyncFeature,
  type ContentSyncSettings,
  type ContentSyncState,
  type ContentSyncSummary,
  type JsonObject,
  type Logger,
  type PlayerAdapter,
} from '../core/index.js';
import { ContentSourceSchema, describeZodError } from '../core/internal.js';
import type { ContentSource } from './content-source.js';
import { createSource } from './create-source.js';
import { ProgressThrottle } from './progress-throttle.js';
import { playlistsPath, readPlaylists, runSyncPass, type PassProgress } from './sync-pass.js';

/** Source keys desired state may override: where, never credentials. */
const OVERRIDABLE_KEYS = ['container', 'bucket', 'prefix', 'url'] as const;
/** Progress patches at most this often while bytes flow (every file's end is reported at once). */
const PROGRESS_INTERVAL_MS = 250;

const IDLE: ContentSyncState = { status: 'idle', files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0, started: null, finished: null, last_error: null };

export interface ContentSyncServiceOptions {
  readonly config: ContentConfig;
  readonly player: PlayerAdapter | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Builds the source client; tests may count or wrap it. */
  readonly createSource?: (config: ContentSourceConfig) => Promise<ContentSource>;
}

/**
 * Content sync for the player profile: one sync at a time (`busy` otherwise), progress in
 * reported `content.sync`, the player told what changed before a sync counts as done, and a
 * schedule while `sync_enabled`. A failed sync keeps the old content and says why in `last_error`.
 */
export class ContentSyncService implements ContentSyncFeature {
  readonly id = 'content-sync';
  readonly state$: Observable<JsonObject>;

  private readonly patches: BehaviorSubject<JsonObject>;
  private sourceConfig: ContentSourceConfig | undefined;
  private enabled: boolean;
  private running: { readonly abort: AbortController; readonly done: Promise<unknown> } | undefined;
  private timer: { cancel(): void } | undefined;
  /** Changed paths the player has not rescanned yet (its refresh failed: MPD was down). */
  private unindexed: string[] = [];
  private active = false;

  constructor(private readonly options: ContentSyncServiceOptions) {
    this.sourceConfig = options.config.source;
    this.enabled = options.config.sync_enabled;
    this.patches = new BehaviorSubject<JsonObject>(this.fullState(IDLE));
    this.state$ = this.patches.asObservable();
  }

  /** Shows the player what the folders hold already, then starts the schedule if enabled. */
  async start(_signal: AbortSignal): Promise<void> {
    this.active = true;
    const playlists = await readPlaylists(playlistsPath(this.options.config));
    await this.options.player?.refreshLibrary?.({ changed: [], playlists }).catch((error: unknown) => {
      this.options.logger.debug({ err: toErrorObject(error) }, 'the player could not take the playlists folder yet');
    });
    this.reschedule(true);
  }

  async stop(): Promise<void> {
    this.active = false;
    this.timer?.cancel();
    this.cancel();
    await this.running?.done.catch(() => undefined);
  }

  cancel(): void {
    this.running?.abort.abort(new CommandError('unavailable', 'content sync cancelled: the agent is stopping'));
  }

  sync(options: { readonly force: boolean }, signal: AbortSignal): Promise<ContentSyncSummary> {
    if (this.running) throw new CommandError('busy', 'a content sync is already running; its progress is in reported content.sync');
    const source = this.sourceConfig;
    if (!source) throw new CommandError('unsupported', 'no content source is configured (content.source)');
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const done = this.run(source, options.force, abort.signal).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.running = undefined;
      this.reschedule(false);
    });
    this.running = { abort, done };
    return done;
  }

  async configure(settings: ContentSyncSettings): Promise<void> {
    let sourceChanged = false;
    if (settings.source !== undefined) {
      const next = this.withOverrides(settings.source);
      sourceChanged = JSON.stringify(next) !== JSON.stringify(this.sourceConfig);
      this.sourceConfig = next;
    }
    const switchedOn = settings.sync_enabled === true && !this.enabled;
    if (settings.sync_enabled !== undefined) this.enabled = settings.sync_enabled;
    this.patches.next({ content: { sync_enabled: this.enabled, source: this.publicSource() } });
    // Switching on, or a new source, syncs at once; then every sync_interval_s.
    this.reschedule(sourceChanged || switchedOn);
  }

  private async run(source: ContentSourceConfig, force: boolean, signal: AbortSignal): Promise<ContentSyncSummary> {
    const started = this.options.clock.now();
    let progress: PassProgress = { files_done: 0, files_total: 0, bytes_done: 0, bytes_total: 0 };
    this.publish({ ...IDLE, status: 'running', started });
    const throttle = new ProgressThrottle<PassProgress>(this.options.clock, PROGRESS_INTERVAL_MS, (next) => this.publish({ ...IDLE, status: 'running', started, ...next }));
    try {
      const client = await (this.options.createSource ?? createSource)(source);
      const result = await runSyncPass(this.options.config, client, force, (next) => {
        const fileEnded = next.files_done !== progress.files_done;
        progress = next;
        throttle.offer(next, fileEnded);
      }, signal).catch((error: unknown) => {
        throw signal.aborted ? signal.reason : unreachable(error, client.description);
      }).finally(() => throttle.cancel());
      // Paths a failed refresh left unindexed go along with this sync's, so the player catches up.
      const changed = [...new Set([...this.unindexed, ...result.library.changed])];
      this.unindexed = changed;
      await this.options.player?.refreshLibrary?.({ ...result.library, changed });
      this.unindexed = [];
      const playlists = this.options.player ? [...(await this.options.player.getPlaylists())] : result.library.playlists.map((p) => p.name);
      this.publish({ ...IDLE, status: 'succeeded', started, finished: this.options.clock.now(), ...progress });
      this.options.logger.info({ downloaded: result.downloaded, deleted: result.deleted, bytes: result.bytes }, 'content sync finished');
      return { files_total: result.files_total, downloaded: result.downloaded, deleted: result.deleted, bytes: result.bytes, playlists };
    } catch (error) {
      const problem = toErrorObject(error, 'unavailable');
      const status = signal.aborted ? 'cancelled' : 'failed';
      this.publish({ ...IDLE, status, started, finished: this.options.clock.now(), ...progress, last_error: { code: problem.code, message: problem.message } });
      this.options.logger.warn({ err: problem }, `content sync ${status}; the content already there is kept`);
      throw isAmoraError(error) ? error : new CommandError('unavailable', problem.message, { cause: error });
    }
  }

  /** Starts or stops the schedule; `now` also runs a sync at once (start, a changed source). */
  private reschedule(now: boolean): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (!this.active || !this.enabled || !this.sourceConfig) return;
    const delay = now ? 0 : this.options.config.sync_interval_s * 1000;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.running) return; // It reschedules when it ends.
      this.sync({ force: false }, new AbortController().signal).catch(() => undefined); // The outcome is in state and the log.
    }, delay);
  }

  private withOverrides(overrides: JsonObject): ContentSourceConfig {
    const base = this.sourceConfig;
    if (!base) throw new CommandError('unsupported', 'no content source is configured (content.source)');
    const unknown = Object.keys(overrides).filter((key) => !(OVERRIDABLE_KEYS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      throw new CommandError('invalid_params', `source: ${unknown.join(', ')} cannot be set remotely (only ${OVERRIDABLE_KEYS.join(', ')})`);
    }
    const parsed = ContentSourceSchema.safeParse({ ...base, ...overrides });
    if (!parsed.success) throw new CommandError('invalid_params', `source: ${describeZodError(parsed.error)}`);
    return parsed.data;
  }

  /** The source as reported: its kind and the overridable keys, no credentials. */
  private publicSource(): JsonObject | null {
    const source = this.sourceConfig as Record<string, unknown> | undefined;
    if (!source) return null;
    const shown: Record<string, string> = { kind: String(source['kind']) };
    // A URL's query may carry a token.
    for (const key of OVERRIDABLE_KEYS) if (typeof source[key] === 'string') shown[key] = key === 'url' ? (source[key].split('?')[0] ?? '') : source[key];
    return shown;
  }

  private fullState(sync: ContentSyncState): JsonObject {
    return { content: { sync: { ...sync }, sync_enabled: this.enabled, source: this.publicSource() } };
  }

  private publish(sync: ContentSyncState): void {
    this.patches.next({ content: { sync: { ...sync } } });
  }
}

/** A source failure as a coded error that names the source (not its credentials). */
function unreachable(error: unknown, where: string): CommandError {
  let message = error instanceof Error ? error.message : String(error);
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS failure) is in its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  if (cause && !message.includes(cause)) message = `${message} (${cause})`;
  return new CommandError('unavailable', `content sync from ${where} failed: ${message}`, { cause: error });
}
