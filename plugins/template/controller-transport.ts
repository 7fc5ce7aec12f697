import { inject, injectable, optional } from 'inversify';
import { BehaviorSubject, Subject, distinctUntilChanged, filter, map, type Observable } from 'rxjs';
import {
  ExponentialBackoffRetryPolicy,
  silentLogger,
  systemClock,
  TimeoutError,
  TOKENS,
  TransportError,
  type Clock,
  type CommandResponse,
  type ConnectionStatus,
  type ControllerTransport,
  type DeviceInfo,
  type DeviceStateMessage,
  type InvokeOptions,
  type JsonObject,
  type Logger,
  type PresenceState,
  type RetryPolicy,
  type TelemetryMessage,
} from '../../core/index.js';
import { HubConnection } from './hub-connection.js';
import type { WsHubOptions } from './options.js';
import { encodeFrame, type HubFrame, type TelemetryFrame } from './protocol.js';

const DEFAULT_INVOKE_TIMEOUT_MS = 10_000;

interface PendingInvoke {
  resolve(response: CommandResponse): void;
  reject(error: unknown): void;
}

/**
 * The controller end of the ws-hub transport, for apps and backends. The hub sends every
 * controller everything (a hub is for a site, not a fleet), so this side keeps the latest state
 * and presence of every device it has heard of and answers `getState` from that: the hub sends
 * what it kept before its welcome, so once online the view is complete.
 */
@injectable()
export class WsHubControllerTransport implements ControllerTransport {
  readonly status$: Observable<ConnectionStatus>;

  private readonly clock: Clock;
  private readonly connection: HubConnection;
  private readonly states = new Map<string, BehaviorSubject<DeviceStateMessage | undefined>>();
  private readonly presence = new Map<string, BehaviorSubject<PresenceState>>();
  private readonly devices = new BehaviorSubject<readonly DeviceInfo[]>([]);
  private readonly telemetry = new Subject<TelemetryFrame>();
  private readonly pending = new Map<string, Set<PendingInvoke>>();

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: WsHubOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
  ) {
    this.clock = clock ?? systemClock;
    this.connection = new HubConnection(
      {
        urls: options.urls ?? [options.url],
        ...(options.token === undefined ? {} : { token: options.token }),
        connectTimeoutMs: options.connectTimeoutMs,
        keepaliveMs: options.keepaliveSeconds * 1_000,
        maxPayloadBytes: options.maxPayloadBytes,
        hello: { type: 'hello', role: 'controller' },
      },
      { onWelcome: async () => undefined, onFrame: (frame) => this.onFrame(frame) },
      {
        retryPolicy: retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
        clock: this.clock,
        logger: (logger ?? silentLogger).child({ controller: id }),
      },
    );
    this.status$ = this.connection.status$;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.connection.start(signal);
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    const closed = new TransportError('closed', 'controller stopped before the answer came');
    for (const waiters of this.pending.values()) for (const waiter of waiters) waiter.reject(closed);
    this.pending.clear();
  }

  state$(deviceId: string): Observable<DeviceStateMessage> {
    return this.stateOf(deviceId).pipe(filter((message): message is DeviceStateMessage => message !== undefined));
  }

  connection$(deviceId: string): Observable<PresenceState> {
    return this.presenceOf(deviceId).pipe(distinctUntilChanged());
  }

  devices$(): Observable<readonly DeviceInfo[]> {
    return this.devices.asObservable();
  }

  /** Telemetry batches of one device (one kind, or every kind) from now on. */
  telemetry$(deviceId: string, kind?: string): Observable<TelemetryMessage> {
    return this.telemetry.pipe(
      filter((frame) => frame.deviceId === deviceId && (kind === undefined || frame.kind === kind)),
      map((frame) => ({ device_id: frame.deviceId, kind: frame.kind, records: frame.records })),
    );
  }

  async invoke(deviceId: string, command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<CommandResponse> {
    const commandId = options.commandId ?? globalThis.crypto.randomUUID();
    const timeoutMs = options.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS;
    if (!this.connection.online) throw new TransportError('unavailable', `cannot send "${command}" to ${deviceId}: not connected to the hub`);
    const payload = JSON.stringify({ command, command_id: commandId, params, timestamp: this.clock.now() });
    const frame = { type: 'command', deviceId, payload } as const;
    encodeFrame(frame, this.options.maxPayloadBytes, `command "${command}"`);

    let timer: { cancel(): void } | undefined;
    const waiter: PendingInvoke = { resolve: () => undefined, reject: () => undefined };
    const answered = new Promise<CommandResponse>((resolve, reject) => {
      Object.assign(waiter, { resolve, reject });
      timer = this.clock.setTimeout(
        () => reject(new TimeoutError(`no response to "${command}" (${commandId}) from ${deviceId} within ${timeoutMs} ms`, { details: { commandId, deviceId } })),
        timeoutMs,
      );
    });
    const waiters = this.pending.get(commandId) ?? new Set<PendingInvoke>();
    waiters.add(waiter);
    this.pending.set(commandId, waiters);
    try {
      await this.connection.send(frame);
      return await answered;
    } finally {
      timer?.cancel();
      waiters.delete(waiter);
      if (waiters.size === 0) this.pending.delete(commandId);
    }
  }

  async getState(deviceId: string): Promise<DeviceStateMessage | undefined> {
    if (!this.connection.online) throw new TransportError('unavailable', `cannot read the state of ${deviceId}: not connected to the hub`);
    return this.states.get(deviceId)?.value;
  }

  async setDesired(deviceId: string, patch: JsonObject): Promise<void> {
    if (!this.connection.online) throw new TransportError('unavailable', `cannot set desired state of ${deviceId}: not connected to the hub`);
    await this.connection.send({ type: 'desired', deviceId, patch });
  }

  private onFrame(frame: HubFrame): void {
    switch (frame.type) {
      case 'state':
        this.stateOf(frame.message.device_id).next(frame.message);
        break;
      case 'presence':
        this.presenceOf(frame.deviceId).next(frame.status);
        this.devices.next(
          [...this.presence]
            .filter(([, subject]) => subject.value !== 'unknown')
            .map(([deviceId, subject]): DeviceInfo => ({ deviceId, presence: subject.value }))
            .toSorted((a, b) => a.deviceId.localeCompare(b.deviceId)),
        );
        break;
      case 'response':
        for (const waiter of this.pending.get(frame.response.command_id) ?? []) waiter.resolve(frame.response);
        break;
      case 'telemetry':
        this.telemetry.next(frame);
        break;
      default:
        break;
    }
  }

  private stateOf(deviceId: string): BehaviorSubject<DeviceStateMessage | undefined> {
    let subject = this.states.get(deviceId);
    if (!subject) this.states.set(deviceId, (subject = new BehaviorSubject<DeviceStateMessage | undefined>(undefined)));
    return subject;
  }

  private presenceOf(deviceId: string): BehaviorSubject<PresenceState> {
    let subject = this.presence.get(deviceId);
    if (!subject) this.presence.set(deviceId, (subject = new BehaviorSubject<PresenceState>('unknown')));
    return subject;
  }
}
