import { inject, injectable, optional } from 'inversify';
import { Subject, type Observable } from 'rxjs';
import {
  createMergePatch,
  BufferedSender,
  RetainedGuard,
  lostOffline,
  presenceMessage,
  silentLogger,
  systemClock,
  toErrorObject,
  TOKENS,
  TransportError,
  type Clock,
  type CommandResponse,
  type ConnectionStatus,
  type DesiredUpdate,
  type DeviceTransport,
  type InboundCommand,
  type JsonObject,
  type Logger,
  type OfflineReason,
  type RetryPolicy,
  type StateSnapshot,
  type TelemetryBatch,
  type TransportCapabilities,
  type DeviceStorage,
} from '../../core/index.js';
import type { AwsLink } from './aws-link.js';
import { createAwsLink } from './create-link.js';
import type { AwsIotOptions } from './options.js';
import { MQTT_PAYLOAD_LIMIT_BYTES, encodeResponse, telemetryPayloads } from './payloads.js';
import { parseDelta } from './shadow-document.js';
import { ShadowMirror } from './shadow-mirror.js';
import { ShadowRejectedError, ShadowRequests } from './shadow-requests.js';
import { checkShadowSize } from './shadow-size.js';
import { AwsTopics } from './topics.js';

/** A response or telemetry batch waiting for the connection. */
interface OutgoingMessage {
  readonly topic: string;
  readonly payload: string;
  readonly qos: 0 | 1;
}

/**
 * The AWS IoT Core device transport (MQTT over mutual TLS: mqtt.js, or aws-iot-device-sdk-v2 with `link: sdk`).
 *
 * - Reported state lives in the Device Shadow (classic or named). Each change is sent as a
 *   `reported` merge patch from what the shadow holds (as this device last saw it) to the new
 *   state, with the shadow version it applies to and a clientToken. A 409 (someone updated the
 *   shadow meanwhile) re-reads the shadow and retries with the new version, a bounded number of
 *   times. The 8 KiB state limit is checked before sending; configured sections can be kept out
 *   of the shadow and sent as telemetry instead.
 * - Desired state: `update/delta` and others' accepted updates feed `desired$`; after every
 *   (re)connect a GET replaces desired state whole, so changes made while offline apply.
 * - After every (re)connect: subscriptions restored (see crt-connection.ts for why), shadow
 *   read, `online` announced, reported state brought up to date, then the outbox drained. The
 *   will announces `offline`/`lost`.
 * - Commands, responses, presence and telemetry use the generic MQTT payloads (topics.ts).
 */
@injectable()
export class AwsIotDeviceTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities;
  readonly status$: Observable<ConnectionStatus>;
  readonly commands$: Observable<InboundCommand>;
  readonly desired$: Observable<DesiredUpdate>;

  private readonly thingName: string;
  private readonly topics: AwsTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connection: AwsLink;
  private readonly shadow: ShadowRequests;
  private readonly mirror = new ShadowMirror();
  private readonly sender: BufferedSender<OutgoingMessage>;
  /** Keeps the retained presence ours (when presence is retained at all). */
  private readonly guard: RetainedGuard;
  private readonly connectionTopic: string;
  private readonly commandsSubject = new Subject<InboundCommand>();
  private readonly desiredSubject = new Subject<DesiredUpdate>();
  private readonly commandsTopic: string;
  private readonly deltaTopic: string;
  private readonly offload: ReadonlySet<string>;
  /** What reported state should be in the shadow (offloaded sections left out). */
  private target: JsonObject | undefined;
  /** Shadow updates run one at a time, in order. */
  private syncChain: Promise<void> = Promise.resolve();
  /** Highest shadow version whose desired state was passed on. */
  private desiredVersion = -1;
  private stopping: Promise<void> | undefined;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: AwsIotOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.DeviceId) private readonly deviceId: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
    @inject(TOKENS.DeviceStorage) @optional() storage?: DeviceStorage,
  ) {
    this.thingName = options.thingName ?? deviceId;
    this.topics = new AwsTopics(options.topicPrefix);
    this.logger = (logger ?? silentLogger).child({ transport: id, thing: this.thingName });
    this.clock = clock ?? systemClock;
    this.offload = new Set(options.shadow.offloadSections);
    this.commandsTopic = this.topics.commands(this.thingName);
    this.connectionTopic = this.topics.connection(this.thingName);
    this.capabilities = { maxPayloadBytes: MQTT_PAYLOAD_LIMIT_BYTES, qos: [0, 1], retained: true, desiredState: true };
    this.shadow = new ShadowRequests(
      this.thingName,
      options.shadowName,
      (topic, payload) => this.connection.publish(topic, payload, 1),
      this.clock,
      options.shadow.requestTimeoutMs,
      (payload) => this.onForeignUpdate(payload),
    );
    this.deltaTopic = this.shadow.topic('update/delta');
    this.connection = createAwsLink(
      options,
      {
        clientId: options.clientId ?? this.thingName,
        cleanSession: options.cleanSession,
        will: () => ({
          topic: this.topics.connection(this.thingName),
          payload: JSON.stringify(lostOffline(this.deviceId, this.clock.now())),
          qos: options.qos.connection,
          retain: options.retainPresence,
        }),
      },
      {
        onConnected: () => this.resync(),
        onDisconnected: () => this.onDisconnected(),
        onMessage: (topic, payload, retain) => this.onMessage(topic, payload, retain),
      },
      { retryPolicy, clock: this.clock, logger: this.logger },
    );
    // Shadow answers at QoS 0: each is awaited with a deadline and the GET after every connect
    // covers a lost delta, so QoS 1 would add nothing but PUBACKs, and on the sdk link (aws-crt
    // sockets run with Nagle's algorithm, no TCP_NODELAY) a PUBACK still unacknowledged holds back
    // our next publish until the broker's delayed ACK (20-40 ms per shadow update).
    void this.connection.subscribe([...this.shadow.responseTopics(), this.deltaTopic], 0);
    void this.connection.subscribe([this.commandsTopic], options.qos.commands);
    // A stranger's retained presence over ours (or an empty one deleting it) is overwritten; a
    // policy without Subscribe/Receive on it only turns that watch off.
    if (options.retainPresence) void this.connection.subscribeOptional([this.connectionTopic], 1);
    this.guard = new RetainedGuard(
      // Presence is the only topic guarded here; offline, the next connect announces it anyway.
      async () => {
        if (this.sender.ready) await this.publishConnection('online');
      },
      this.clock,
      this.logger,
    );
    this.sender = new BufferedSender<OutgoingMessage>({
      ...(storage ? { store: storage.outbox<OutgoingMessage>(id) } : {}),
      clock: this.clock,
      capacity: options.telemetry.maxBufferSize,
      send: (message) => this.connection.publish(message.topic, message.payload, message.qos),
      connected: () => this.connection.connected,
      onStats: (stats) => this.connection.setOutbox(stats),
      logger: this.logger,
      describe: (message) => ({ topic: message.topic }),
    });
    this.status$ = this.connection.status$;
    this.commands$ = this.commandsSubject.asObservable();
    this.desired$ = this.desiredSubject.asObservable();
  }

  start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    return this.connection.start(signal);
  }

  /** Announces `offline`/`graceful`, disconnects and completes the streams. Idempotent. */
  stop(reason: OfflineReason = 'graceful'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: OfflineReason): Promise<void> {
    this.sender.close();
    this.guard.close();
    await this.connection.stop(() => this.publishConnection('offline', reason));
    this.shadow.failAll(new TransportError('closed', 'transport stopped'));
    this.commandsSubject.complete();
    this.desiredSubject.complete();
  }

  /**
   * Brings the shadow's reported section to this snapshot. Resolves once the shadow accepted it,
   * or at once while offline (the next connect sends it). Rejects with `payload_too_large`,
   * before sending anything, when the shadow would exceed its size limit.
   */
  async publishState(snapshot: StateSnapshot, patch: JsonObject): Promise<void> {
    const inShadow: Record<string, JsonObject[string]> = {};
    for (const [key, value] of Object.entries(snapshot.state)) if (!this.offload.has(key)) inShadow[key] = value;
    checkShadowSize({ desired: this.mirror.desired, reported: inShadow }, this.options.shadow.maxStateBytes, [...this.offload]);
    this.target = inShadow;
    const offloaded = Object.keys(patch).filter((key) => this.offload.has(key));
    const telemetry = offloaded.map((key) => this.publishOffloaded(key, snapshot.state[key] ?? null, snapshot.timestamp));
    const sync = this.sender.ready
      ? this.enqueueSync().catch((error: unknown) => {
          // Lost meanwhile: the resync after the next connect sends it.
          if (this.connection.connected) throw error;
        })
      : Promise.resolve();
    await Promise.all([...telemetry, sync]);
  }

  async respond(_command: InboundCommand, response: CommandResponse): Promise<void> {
    await this.sender.send({
      topic: this.topics.responses(this.thingName),
      payload: encodeResponse(response, this.logger),
      qos: this.options.qos.responses,
    });
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const topic = this.options.telemetry.deviceTopics.includes(batch.kind)
      ? this.topics.deviceTelemetry(this.thingName, batch.kind)
      : this.topics.telemetry(this.thingName, batch.kind);
    for (const payload of telemetryPayloads(this.deviceId, batch)) {
      await this.sender.send({ topic, payload, qos: this.options.qos.telemetry });
    }
  }

  /** After each connect: shadow read, presence, reported state, then what waited in the outbox. */
  private async resync(): Promise<void> {
    const document = await this.shadow.get();
    this.mirror.reset(document);
    // Whole desired state on every connect: whatever changed while we were away applies now.
    // The GET is authoritative, also when versions started over (a shadow deleted and re-created).
    this.desiredVersion = document?.version ?? -1;
    this.desiredSubject.next({ patch: document?.desired ?? {}, full: true, ...(document ? { version: document.version } : {}) });
    await this.publishConnection('online');
    for (;;) {
      const target = this.target;
      await this.enqueueSync().catch((error: unknown) => {
        if (!this.connection.connected) throw error;
        this.logger.error({ err: toErrorObject(error) }, 'reported state not accepted by the shadow');
      });
      const drained = await this.sender.drain();
      if (drained.error !== undefined) throw drained.error;
      if (this.target === target && this.sender.size === 0) break;
    }
    this.sender.open();
  }

  private onDisconnected(): void {
    this.sender.pause();
    this.mirror.invalidate();
    this.shadow.failAll(new TransportError('unavailable', 'AWS IoT connection lost'));
  }

  /** Queues one reconciliation of the shadow with the target state; runs after those before it. */
  private enqueueSync(): Promise<void> {
    const run = this.syncChain.then(() => this.syncShadow());
    this.syncChain = run.catch(() => undefined);
    return run;
  }

  private async syncShadow(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const target = this.target;
      if (target === undefined || !this.connection.connected) return;
      if (!this.mirror.isSynced) this.mirror.reset(await this.shadow.get());
      const patch = createMergePatch(this.mirror.reported, target);
      if (Object.keys(patch).length === 0) return;
      try {
        const { version } = await this.shadow.update({ reported: patch }, this.mirror.version);
        this.mirror.applyOwn(patch, version);
        return;
      } catch (error) {
        if (!(error instanceof ShadowRejectedError) || error.status !== 409) throw error;
        if (attempt >= this.options.shadow.conflictRetries) {
          throw new TransportError('conflict', `shadow version conflict persisted after ${attempt + 1} attempts`, { cause: error });
        }
        this.logger.info({ attempt: attempt + 1 }, 'shadow version conflict; re-reading the shadow and retrying');
        this.mirror.invalidate();
      }
    }
  }

  private onForeignUpdate(payload: Uint8Array): void {
    let accepted: unknown;
    try {
      accepted = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    const change = this.mirror.applyForeign(accepted);
    if (change && change.version > this.desiredVersion) {
      this.desiredVersion = change.version;
      this.desiredSubject.next({ patch: change.patch, full: change.full, version: change.version });
    }
  }

  private onDelta(payload: Uint8Array): void {
    const delta = parseDelta(payload);
    if (!delta) {
      this.logger.warn('ignoring an unreadable shadow delta');
      return;
    }
    // The accepted update that caused this delta may have passed desired state on already.
    if (delta.version <= this.desiredVersion) return;
    this.desiredVersion = delta.version;
    this.desiredSubject.next({ patch: delta.state, version: delta.version });
  }

  private onMessage(topic: string, payload: Uint8Array, retain: boolean): void {
    if (topic === this.commandsTopic) {
      if (retain) {
        // A retained command would run again on every reconnect; refuse it rather than guess.
        this.logger.warn({ topic }, 'ignoring a retained command (publish commands without the retain flag)');
        return;
      }
      // Core refuses a payload too large to parse and still finds its command_id to address the refusal.
      this.commandsSubject.next({ payload });
    } else if (topic === this.connectionTopic) {
      this.guard.received(topic, payload);
    } else if (topic === this.deltaTopic) {
      this.onDelta(payload);
    } else if (!this.shadow.handle(topic, payload)) {
      this.logger.debug({ topic }, 'message on an unexpected topic');
    }
  }

  private async publishOffloaded(section: string, value: JsonObject[string], timestamp: number): Promise<void> {
    await this.publishTelemetry({ kind: `state-${section}`, records: [{ kind: `state-${section}`, data: value, timestamp }] });
  }

  private publishConnection(status: 'online' | 'offline', reason?: OfflineReason): Promise<void> {
    const payload = JSON.stringify(presenceMessage(this.deviceId, status, this.clock.now(), reason));
    if (this.options.retainPresence) this.guard.published(this.connectionTopic, payload);
    return this.connection.publish(this.topics.connection(this.thingName), payload, this.options.qos.connection, this.options.retainPresence);
  }
}
