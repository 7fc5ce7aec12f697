import { inject, injectable, optional } from 'inversify';
import { concatMap, distinctUntilChanged, filter, firstValueFrom, from, map, Observable, ReplaySubject, startWith, Subject, throwError } from 'rxjs';
import {
  AmoraError,
  ConfigError,
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
import { SharedStreams } from '../../core/internal.js';
import { COMMAND_RESPONSE_KEY } from './desired-command.js';
import { IOT_HUB_LIMITS, jsonByteLength } from './limits.js';
import { commandResponseFromMethod } from './method-answer.js';
import { EventHubFeed } from './event-hub-feed.js';
import { telemetryOfEvent, type HubEvent } from './hub-event.js';
import { EVENTHUB_CONNECTION_STRING_ENV, SERVICE_CONNECTION_STRING_ENV, type AzureIotHubOptions } from './options.js';
import { pushedConnection$, pushedDevices$, pushedFleetStates$, pushedState$, type PushSources } from './pushed-views.js';
import { readPem, resolveConnectionString } from './secrets.js';
import { IotHubServiceClient, statusOf, type DevicePresence, type ServiceTwin } from './service-client.js';

const DEFAULT_INVOKE_TIMEOUT_MS = 10_000;
/** IoT Hub's bounds for a direct method's response timeout, seconds. */
const MIN_RESPONSE_TIMEOUT_S = 5;
const MAX_RESPONSE_TIMEOUT_S = 300;
const MAX_ETAG_ATTEMPTS = 3;
/** Refresh period right after a change made through this controller, and for how long. */
const FAST_REFRESH_MS = 200;
const FAST_REFRESH_WINDOW_MS = 3_000;

/**
 * The controller side on IoT Hub's service API (azure-iothub), for apps, backends and `amora ctl`.
 *
 * - `invoke()` → a direct method named after the command, payload `{command_id, params,
 *   timestamp}`; the device's answer is read back into a CommandResponse. No answer in time, or
 *   a device that is unknown or not connected (the hub's 404 after `methodConnectTimeoutSeconds`),
 *   rejects with TimeoutError; stop() rejects calls in flight with `closed`; payloads over
 *   128 KB are refused locally.
 * - `getState()` / `state$()` → twin reported properties (`version` is the reported `$version`).
 * - Push mode, with `eventHubConnectionString` (or env AMORA_EVENTHUB_CONNECTION_STRING): one
 *   AMQP reader (rhea, event-hub-feed.ts) of the hub's Event Hub-compatible endpoint drives `state$`,
 *   `connection$`, `devices$` and `fleetStates$` from routed twin change, connection state and telemetry events,
 *   each seeded by one read (see pushed-views.ts); it starts "now minus
 *   `eventHubResumeOverlapMs`" and compares versions, so a restart never shows stale states.
 *   `telemetry$` shows the device-to-cloud messages it reads (push mode only).
 * - Polling, without it: `state$` and `connection$` re-read every `refreshIntervalMs` while
 *   subscribed, faster for a few seconds after a command or desired patch of ours. A reconnect
 *   between two reads shows as offline-then-online, from the hub's `connectionStateUpdatedTime`.
 * - `setDesired()` → a desired-properties patch with the twin's ETag, re-read and retried when
 *   the twin changed meanwhile (412).
 * - `status$` is the service's reachability: each call's outcome, and a probe when idle.
 */
@injectable()
export class AzureIotHubControllerTransport implements ControllerTransport {
  readonly status$: Observable<ConnectionStatus>;

  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly retryPolicy: RetryPolicy;
  private readonly connectionString: string;
  private readonly eventHubConnectionString: string | undefined;
  /** The Event Hub reader in push mode (started in start()), and its events for the push views. */
  private feed: EventHubFeed | undefined;
  private readonly hubEvents = new Subject<HubEvent>();
  private readonly statusSubject = new ReplaySubject<ConnectionStatus>(1);
  private readonly streams = new SharedStreams();
  private readonly etags = new Map<string, string>();
  private service: IotHubServiceClient | undefined;
  private status: ConnectionStatus;
  private probeTimer: { cancel(): void } | undefined;
  private lastSuccess = 0;
  /** Until when (epoch ms) polls run at FAST_REFRESH_MS. */
  private fastUntil = 0;
  private stopped = false;
  /** Rejecters of invokes in flight: stop() ends them with `closed`. */
  private readonly pending = new Set<(error: Error) => void>();

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: AzureIotHubOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
  ) {
    this.connectionString = resolveConnectionString(options.serviceConnectionString, SERVICE_CONNECTION_STRING_ENV, 'serviceConnectionString');
    this.eventHubConnectionString = options.eventHubConnectionString ?? (process.env[EVENTHUB_CONNECTION_STRING_ENV] || undefined);
    this.logger = (logger ?? silentLogger).child({ controller: id });
    this.clock = clock ?? systemClock;
    this.retryPolicy = retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {});
    this.status = { state: 'offline', since: this.clock.now() };
    this.statusSubject.next(this.status);
    this.status$ = this.statusSubject.asObservable().pipe(distinctUntilChanged((a, b) => a.state === b.state && a.error?.message === b.error?.message));
    if (this.eventHubConnectionString !== undefined) this.fleetStates$ = () => pushedFleetStates$(this.pushSources());
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.service || this.stopped) return;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    let ca: string | undefined;
    try {
      ca = await readPem(this.options.ca, 'ca');
      this.service = new IotHubServiceClient(this.connectionString, ca);
    } catch (error) {
      if (error instanceof AmoraError) throw error;
      throw new ConfigError(`azure-iot-hub: ${(error as Error).message}`, { cause: error, details: { path: 'serviceConnectionString' } });
    }
    if (this.eventHubConnectionString) {
      try {
        this.feed = new EventHubFeed({
          connectionString: this.eventHubConnectionString,
          consumerGroup: this.options.eventHubConsumerGroup,
          resumeOverlapMs: this.options.eventHubResumeOverlapMs,
          ca,
          logger: this.logger,
          clock: this.clock,
          retryPolicy: this.retryPolicy,
        });
      } catch (error) {
        throw new ConfigError(`azure-iot-hub: eventHubConnectionString: ${(error as Error).message}`, { cause: error, details: { path: 'eventHubConnectionString' } });
      }
      this.feed.events$.subscribe(this.hubEvents);
      // Resolves once the first connection is up with every partition link, or failed and retrying.
      await this.feed.start(signal);
      const first = await firstValueFrom(this.feed.status$);
      if (first.state === 'offline' && (first.error?.code === 'authentication_failed' || first.error?.code === 'not_found')) {
        // Refused for good (a wrong key, an unknown consumer group): say so now rather than push nothing.
        await this.stop();
        throw new ConfigError(`azure-iot-hub: eventHubConnectionString: ${first.error.message}`, { cause: first.error, details: { path: 'eventHubConnectionString' } });
      }
    }
    this.setStatus('connecting');
    await this.probe();
  }

  /** True when `state$`, `connection$` and `devices$` are pushed from the Event Hub endpoint. */
  get pushMode(): boolean {
    return this.eventHubConnectionString !== undefined;
  }

  /** Event Hub partitions whose reader has started (push mode); 0 otherwise. */
  get pushPartitionsStarted(): number {
    return this.feed?.partitionsStarted ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const reject of this.pending) reject(new TransportError('closed', 'the IoT Hub controller was stopped'));
    this.pending.clear();
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.service?.close();
    await this.feed?.stop();
    this.setStatus('closed');
  }

  state$(deviceId: string): Observable<DeviceStateMessage> {
    if (this.pushMode) return this.streams.get(`push-state:${deviceId}`, () => pushedState$(this.pushSources(), deviceId));
    return this.poll(`state:${deviceId}`, () => this.readState(deviceId), (source) =>
      source.pipe(
        filter((message): message is DeviceStateMessage => message !== undefined),
        distinctUntilChanged((a, b) => a.version === b.version),
      ),
    );
  }

  connection$(deviceId: string): Observable<PresenceState> {
    if (this.pushMode) return this.streams.get(`push-connection:${deviceId}`, () => pushedConnection$(this.pushSources(), deviceId));
    return this.poll(`connection:${deviceId}`, () => this.call(() => this.requireService().presence(deviceId)), (source) => {
      let previous: DevicePresence | undefined;
      return source.pipe(
        concatMap((presence) => {
          const changes = presenceChanges(previous, presence);
          previous = presence;
          return from(changes);
        }),
        startWith<PresenceState>('unknown'),
        distinctUntilChanged(),
      );
    });
  }

  /**
   * Push mode only (absent when polling, so `amora watch` follows each device there): every
   * device's reported state, one twin read each to start (a few at a time), then the routed twin
   * change events of the whole fleet through the one Event Hub reader. Each subscriber gets its
   * own seed reads.
   */
  readonly fleetStates$?: () => Observable<DeviceStateMessage>;

  devices$(): Observable<readonly DeviceInfo[]> {
    if (this.pushMode) return this.streams.get('push-devices', () => pushedDevices$(this.pushSources()));
    return this.poll('devices', () => this.call(() => this.requireService().listPresence()), (source) =>
      source.pipe(
        map((devices) =>
          devices
            .map((device): DeviceInfo => ({ deviceId: device.deviceId, presence: device.connected ? 'online' : 'offline' }))
            .toSorted((a, b) => a.deviceId.localeCompare(b.deviceId)),
        ),
        distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
      ),
    );
  }

  /**
   * Telemetry batches of one device (one kind, or all kinds), from the Event Hub-compatible
   * endpoint: push mode only, since IoT Hub's service API cannot read device-to-cloud messages.
   */
  telemetry$(deviceId: string, kind?: string): Observable<TelemetryMessage> {
    if (!this.pushMode) {
      return throwError(() => new ConfigError('azure-iot-hub: telemetry is read from the Event Hub-compatible endpoint: set eventHubConnectionString (or --eventhub)'));
    }
    return this.hubEvents.pipe(
      map((event) => (event.kind === 'telemetry' && event.deviceId === deviceId ? telemetryOfEvent(event) : undefined)),
      filter((batch): batch is TelemetryMessage => batch !== undefined && (kind === undefined || batch.kind === kind)),
    );
  }

  async invoke(deviceId: string, command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<CommandResponse> {
    const commandId = options.commandId ?? newCommandId();
    const timeoutMs = options.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS;
    const payload = { command_id: commandId, params, timestamp: this.clock.now() };
    if (jsonByteLength(payload) > IOT_HUB_LIMITS.methodPayloadBytes) {
      throw new TransportError('payload_too_large', `command "${command}" is larger than the ${IOT_HUB_LIMITS.methodPayloadBytes} byte direct-method limit`, {
        details: { maxPayloadBytes: IOT_HUB_LIMITS.methodPayloadBytes },
      });
    }
    const responseTimeout = Math.min(Math.max(Math.ceil(timeoutMs / 1000), MIN_RESPONSE_TIMEOUT_S), MAX_RESPONSE_TIMEOUT_S);
    const call = this.call(() =>
      this.requireService().invoke(deviceId, {
        methodName: command,
        payload,
        responseTimeoutInSeconds: responseTimeout,
        connectTimeoutInSeconds: this.options.methodConnectTimeoutSeconds,
      }),
    ).catch((error: unknown) => {
      // The hub answers 404 for a device that is unknown or did not connect in time: nobody answered.
      if (error instanceof AmoraError && statusOf(error.cause) === 404) {
        throw new TimeoutError(`no response to "${command}" (${commandId}): device ${deviceId} is not connected to IoT Hub`, {
          cause: error,
          details: { commandId, deviceId, status: 404 },
        });
      }
      throw error;
    });
    const answer = await this.deadline(call, timeoutMs, () =>
      new TimeoutError(`no response to "${command}" (${commandId}) from ${deviceId} within ${timeoutMs} ms`, { details: { commandId, deviceId } }),
    );
    this.fastUntil = this.clock.now() + FAST_REFRESH_WINDOW_MS;
    return commandResponseFromMethod(command, commandId, answer.status, answer.payload, this.clock.now());
  }

  async getState(deviceId: string): Promise<DeviceStateMessage | undefined> {
    return this.readState(deviceId);
  }

  async setDesired(deviceId: string, patch: JsonObject): Promise<void> {
    if (jsonByteLength(patch) > IOT_HUB_LIMITS.twinSectionBytes) {
      throw new TransportError('payload_too_large', `the desired patch is larger than the ${IOT_HUB_LIMITS.twinSectionBytes} byte twin limit`);
    }
    for (let attempt = 1; ; attempt++) {
      let etag = this.etags.get(deviceId);
      if (etag === undefined) {
        const twin = await this.call(() => this.requireService().getTwin(deviceId));
        if (!twin) throw new TransportError('not_found', `device ${deviceId} is not registered in IoT Hub`, { details: { deviceId } });
        etag = twin.etag;
      }
      try {
        const twin = await this.call(() => this.requireService().updateDesired(deviceId, patch, etag));
        this.etags.set(deviceId, twin.etag);
        this.fastUntil = this.clock.now() + FAST_REFRESH_WINDOW_MS;
        return;
      } catch (error) {
        this.etags.delete(deviceId);
        if (!(error instanceof AmoraError && error.code === 'conflict') || attempt >= MAX_ETAG_ATTEMPTS) throw error;
        this.logger.debug({ deviceId, attempt }, 'twin changed since it was read; reading it again');
      }
    }
  }

  private async readState(deviceId: string): Promise<DeviceStateMessage | undefined> {
    const twin = await this.call(() => this.requireService().getTwin(deviceId));
    if (!twin) return undefined;
    this.etags.set(deviceId, twin.etag);
    return toStateMessage(deviceId, twin);
  }

  /** What the push views read from: the feed's events and this controller's service calls. */
  private pushSources(): PushSources {
    return {
      events$: this.hubEvents.asObservable(),
      readTwin: async (deviceId) => {
        const twin = await this.call(() => this.requireService().getTwin(deviceId));
        if (twin) this.etags.set(deviceId, twin.etag);
        return twin;
      },
      presence: (deviceId) => this.call(() => this.requireService().presence(deviceId)),
      listPresence: () => this.call(() => this.requireService().listPresence()),
      retryMs: this.options.refreshIntervalMs,
      clock: this.clock,
      logger: this.logger,
    };
  }

  /**
   * A shared, ref-counted, replaying stream that re-reads every `refreshIntervalMs` while
   * subscribed, and every FAST_REFRESH_MS for a while after this controller changed something
   * (a command or a desired patch usually changes reported state within moments).
   */
  private poll<R, T>(key: string, read: () => Promise<R>, pipe: (source: Observable<R>) => Observable<T>): Observable<T> {
    return this.streams.get(key, () =>
      pipe(
        new Observable<R>((subscriber) => {
          let timer: { cancel(): void } | undefined;
          let closed = false;
          const loop = async (): Promise<void> => {
            try {
              subscriber.next(await read());
            } catch (error) {
              this.logger.debug({ key, err: { message: (error as Error).message } }, 'IoT Hub read failed; trying again at the next refresh');
            }
            if (closed) return;
            const fast = this.clock.now() < this.fastUntil;
            timer = this.clock.setTimeout(() => void loop(), fast ? Math.min(FAST_REFRESH_MS, this.options.refreshIntervalMs) : this.options.refreshIntervalMs);
          };
          void loop();
          return () => {
            closed = true;
            timer?.cancel();
          };
        }),
      ),
    );
  }

  /** Runs a service call: retries throttled ones with the RetryPolicy, and keeps status$ current. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await operation();
        this.healthy();
        return result;
      } catch (error) {
        const status = error instanceof AmoraError ? statusOf(error.cause) : undefined;
        // Any HTTP answer but refused credentials, throttling and server errors proves the hub reachable.
        if (status === undefined || status === 401 || status === 403 || status === 429 || status >= 500) {
          if (!(error instanceof AmoraError && error.code === 'timeout')) this.unhealthy(error);
        } else {
          this.healthy();
        }
        if (status !== 429 || attempt > 3 || this.stopped) throw error;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.retryPolicy.nextRetryTimeout(attempt, true)));
      }
    }
  }

  /** When no call succeeded for a refresh interval, asks the hub for a twin to learn whether it is reachable. */
  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.stopped || !this.service) return;
    if (this.clock.now() - this.lastSuccess >= this.options.refreshIntervalMs) {
      // Any answer, including "no such device", proves the service reachable and the key good.
      await this.call(() => this.requireService().getTwin('amora-health-probe')).catch(() => undefined);
    }
    if (!this.stopped) this.probeTimer = this.clock.setTimeout(() => void this.probe(), this.options.refreshIntervalMs);
  }

  private healthy(): void {
    this.lastSuccess = this.clock.now();
    if (this.status.state !== 'online' && !this.stopped) this.setStatus('online');
  }

  private unhealthy(error: unknown): void {
    if (this.stopped) return;
    const object = error instanceof AmoraError ? error.toJSON() : { code: 'unavailable', message: String(error) };
    this.setStatus('offline', object);
  }

  private setStatus(state: ConnectionStatus['state'], error?: ConnectionStatus['error']): void {
    const since = state === this.status.state ? this.status.since : this.clock.now();
    this.status = { state, since, ...(error === undefined ? {} : { error }) };
    this.statusSubject.next(this.status);
  }

  private requireService(): IotHubServiceClient {
    if (!this.service || this.stopped) throw new TransportError('unavailable', 'the IoT Hub controller is not started');
    return this.service;
  }

  /** Settles like `promise`, or rejects at the deadline or when the controller stops. */
  private deadline<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (): void => {
        timeout.cancel();
        this.pending.delete(reject);
      };
      const timeout = this.clock.setTimeout(() => {
        settle();
        reject(error());
      }, ms);
      this.pending.add(reject);
      promise.then(
        (value) => {
          settle();
          resolve(value);
        },
        (failure: unknown) => {
          settle();
          reject(failure);
        },
      );
    });
  }
}

/** The presence values a new reading implies, given the previous one. */
function presenceChanges(previous: DevicePresence | undefined, current: DevicePresence | undefined): PresenceState[] {
  if (!current) return ['unknown'];
  if (!current.connected) return ['offline'];
  // Connected before and now, but the state changed in between: it was lost and came back.
  if (previous?.connected && previous.changedAt !== undefined && current.changedAt !== previous.changedAt) return ['offline', 'online'];
  return ['online'];
}

function toStateMessage(deviceId: string, twin: ServiceTwin): DeviceStateMessage | undefined {
  const { [COMMAND_RESPONSE_KEY]: _own, ...state } = twin.reported;
  if (Object.keys(state).length === 0) return undefined;
  return { device_id: deviceId, state, version: twin.reportedVersion, timestamp: twin.reportedUpdated ?? Date.now() };
}

function newCommandId(): string {
  return globalThis.crypto.randomUUID();
}
