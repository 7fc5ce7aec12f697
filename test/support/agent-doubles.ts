/**
 * In-memory test doubles of our own contracts (DeviceTransport, PlayerAdapter) for agent wiring
 * specs. Real transports and players are tested against real brokers and MPD elsewhere.
 */
import { BehaviorSubject, filter, firstValueFrom, Subject, type Observable } from 'rxjs';
import type { CommandResponse } from '../../core/commands/types.js';
import { CommandError } from '../../core/errors.js';
import type { PlayerAdapter } from '../../core/player/player-adapter.js';
import type { PlayerState } from '../../core/player/player-state.js';
import type { JsonObject, JsonValue } from '../../core/state/json.js';
import type { StateSnapshot } from '../../core/state/snapshot.js';
import type { TelemetryBatch } from '../../core/telemetry/types.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import type { DesiredUpdate, DeviceTransport, InboundCommand, TransportCapabilities } from '../../core/transport/device-transport.js';

/** A promise with its resolve function, for holding an operation open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** An ordered record of what the doubles did, which a spec can wait on instead of polling. */
export class EventLog {
  readonly entries: string[] = [];
  private readonly added = new Subject<string>();

  push(entry: string): void {
    this.entries.push(entry);
    this.added.next(entry);
  }

  /** Resolves once an entry matching `match` has been recorded (at once if it already was). */
  waitFor(match: string | ((entry: string) => boolean)): Promise<string> {
    const test = typeof match === 'string' ? (entry: string) => entry === match : match;
    const found = this.entries.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return firstValueFrom(this.added.pipe(filter(test)));
  }
}

export interface TransportFaults {
  failStart?: boolean;
  hangStart?: boolean;
  failPublish?: boolean;
  failTelemetry?: boolean;
  /** State publishes wait for this before they are recorded (a slow link). */
  holdState?: Promise<void>;
}

/** What an InMemoryTransport can do (a subclass may claim more). */
export const IN_MEMORY_CAPABILITIES: TransportCapabilities = { maxPayloadBytes: 256 * 1024, qos: [0, 1], retained: true, desiredState: true };

/** A DeviceTransport that records what it is asked to do, in a log shared with other doubles. */
export class InMemoryTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities = IN_MEMORY_CAPABILITIES;
  readonly statuses = new BehaviorSubject<ConnectionStatus>({ state: 'offline', since: 0 });
  readonly status$: Observable<ConnectionStatus> = this.statuses.asObservable();
  readonly inbound = new Subject<InboundCommand>();
  readonly commands$ = this.inbound.asObservable();
  readonly desired = new Subject<DesiredUpdate>();
  readonly desired$ = this.desired.asObservable();
  readonly published: { version: number; patch: JsonObject; state: JsonObject }[] = [];
  readonly responses: CommandResponse[] = [];
  readonly telemetry: TelemetryBatch[] = [];
  /** Each response as it is sent, for specs that wait for one. */
  readonly responses$ = new Subject<CommandResponse>();

  constructor(
    readonly id: string,
    private readonly log: EventLog = new EventLog(),
    public faults: TransportFaults = {},
  ) {}

  async start(): Promise<void> {
    this.log.push(`start ${this.id}`);
    this.statuses.next({ state: 'connecting', since: 1 });
    if (this.faults.hangStart) await new Promise<void>(() => undefined);
    if (this.faults.failStart) throw new Error(`${this.id} refused the connection`);
    this.statuses.next({ state: 'online', since: 2 });
  }

  async stop(): Promise<void> {
    this.log.push(`stop ${this.id}`);
    this.statuses.next({ state: 'closed', since: 3 });
  }

  async publishState(snapshot: StateSnapshot, patch: JsonObject): Promise<void> {
    if (this.faults.failPublish) throw new Error(`${this.id} lost the connection`);
    if (this.faults.holdState) await this.faults.holdState;
    this.published.push({ version: snapshot.version, patch, state: snapshot.state });
  }

  async respond(_command: InboundCommand, response: CommandResponse): Promise<void> {
    this.log.push(`respond ${this.id} ${response.command_id}`);
    this.responses.push(response);
    this.responses$.next(response);
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    if (this.faults.failTelemetry) throw new Error(`${this.id} outbox full`);
    this.telemetry.push(batch);
  }

  /** Delivers a command as the far end would (the seed's JSON text). */
  send(command: string, params: Record<string, JsonValue> = {}, commandId = `${command}-1`): void {
    this.inbound.next({ payload: JSON.stringify({ command, command_id: commandId, params, timestamp: 1 }) });
  }

  /** The latest reported state this transport saw. */
  get lastState(): JsonObject | undefined {
    return this.published.at(-1)?.state;
  }
}

export const PLAYER_INITIAL_STATE: PlayerState = {
  audio: { volume: 50 },
  playback: { status: 'stopped', current_track: null, position: 0, duration: 0, playlist: null },
  playlists: ['Morning Jazz', 'Focus'],
};

/** A PlayerAdapter that changes its state like a real player would, without sound. */
export class FakePlayer implements PlayerAdapter {
  readonly state = new BehaviorSubject<PlayerState>(PLAYER_INITIAL_STATE);
  readonly state$ = this.state.asObservable();
  readonly statuses = new BehaviorSubject<ConnectionStatus>({ state: 'connecting', since: 0 });
  readonly status$ = this.statuses.asObservable();
  readonly calls: string[] = [];
  /** When set, seek() waits for it: a command held in flight. */
  seekGate?: Promise<void>;

  constructor(
    readonly id = 'player',
    private readonly log: EventLog = new EventLog(),
  ) {}

  async start(): Promise<void> {
    this.log.push(`start ${this.id}`);
    this.statuses.next({ state: 'online', since: 1 });
  }

  async stop(): Promise<void> {
    this.log.push(`stop ${this.id}`);
    this.statuses.next({ state: 'closed', since: 2 });
  }

  async play(): Promise<void> {
    this.record('play');
    this.update({ playback: { ...this.state.value.playback, status: 'playing' } });
  }

  async pause(): Promise<void> {
    this.record('pause');
    this.update({ playback: { ...this.state.value.playback, status: 'paused' } });
  }

  async stopPlayback(): Promise<void> {
    this.record('stopPlayback');
    this.update({ playback: { ...this.state.value.playback, status: 'stopped' } });
  }

  async next(): Promise<void> {
    this.record('next');
  }

  async previous(): Promise<void> {
    this.record('previous');
  }

  async setVolume(volume: number): Promise<void> {
    this.record(`setVolume ${volume}`);
    this.update({ audio: { ...this.state.value.audio, volume } });
  }

  async seek(position: number): Promise<void> {
    this.record(`seek ${position}`);
    if (this.seekGate) await this.seekGate;
    this.update({ playback: { ...this.state.value.playback, position } });
  }

  async loadPlaylist(name: string): Promise<void> {
    this.record(`loadPlaylist ${name}`);
    if (!this.state.value.playlists.includes(name)) throw new CommandError('not_found', `playlist "${name}" does not exist`);
    this.update({ playback: { ...this.state.value.playback, status: 'playing', playlist: name, current_track: `${name} #1` } });
  }

  async getPlaylists(): Promise<readonly string[]> {
    return this.state.value.playlists;
  }

  async getStatus(): Promise<PlayerState> {
    return this.state.value;
  }

  private record(call: string): void {
    this.calls.push(call);
    this.log.push(`player ${call}`);
  }

  private update(change: Partial<PlayerState>): void {
    this.state.next({ ...this.state.value, ...change });
  }
}
