import { inject, injectable, optional } from 'inversify';
import type { IPublishPacket } from 'mqtt';
import { Subject, type Observable } from 'rxjs';
import {
  BufferedSender,
  encodePayload,
  encodeResponseOrError,
  findJsonProblem,
  isAmoraError,
  isJsonObject,
  lostOffline,
  presenceMessage,
  RetainedGuard,
  silentLogger,
  systemClock,
  TOKENS,
  type Clock,
  type CommandResponse,
  type ConnectionStatus,
  type DesiredUpdate,
  type DeviceStateMessage,
  type DeviceTransport,
  type InboundCommand,
  type JsonObject,
  type Logger,
  type OfflineReason,
  type RetryPolicy,
  type StateSnapshot,
  type TelemetryBatch,
  type TelemetryMessage,
  type TransportError,
  type TransportCapabilities,
  type DeviceStorage,
} from '../../core/index.js';
import { wireRecord, deviceMessageFor, isDeviceMessage, sizedPayload, StateText } from '../../core/internal.js';
import type { MqttConnection, MqttPublishOptions } from '../../core/mqtt.js';
import { deviceClientId } from './client-id.js';
import { mqttConnectionFor } from './connection.js';
import type { MqttOptions, MqttQos } from './options.js';
import type { TlsMaterialLoader } from './tls.js';
import { MQTT_TOKENS } from './tokens.js';
import { MqttTopics } from './topics.js';

/** States awaiting their PUBACK at once (TransportCapabilities.statesInFlight). */
const STATES_IN_FLIGHT = 2;

/** What `respond()` needs to answer an MQTT 5 request on its own response topic. */
export interface MqttCommandContext {
  readonly responseTopic?: string;
  readonly correlationData?: Uint8Array;
}

/** A response or telemetry batch waiting for the connection. */
interface OutgoingMessage {
  readonly topic: string;
  readonly payload: string;
  readonly qos: MqttQos;
  readonly correlationData?: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The state message's JSON from the JSON text of each member, in the order `JSON.stringify` of a
 * DeviceStateMessage writes them. Typed by the message, so a member added to or removed from it
 * fails to compile at the one call instead of leaving the wire format behind.
 */
function stateMessageJson(member: { readonly [K in keyof DeviceStateMessage]: string }): string {
  return `{"device_id":${member.device_id},"state":${member.state},"version":${member.version},"timestamp":${member.timestamp}}`;
}

/**
 * The generic MQTT device transport (see topics.ts for the layout).
 *
 * - A persistent session with a stable client id, so QoS 1 commands sent while the device was
 *   offline arrive when it reconnects.
 * - After every (re)connect: resubscribe when the broker lost the session, announce `online`
 *   (retained), republish the full current state (retained), then flush the outbox. The will
 *   announces `offline`/`lost` if the connection dies without a goodbye.
 * - The device watches its own retained `state` and `connection` topics: another client's
 *   retained message there, or an empty one deleting ours, is overwritten with ours (RetainedGuard).
 * - Brokers: `urls` (a primary and standbys) are tried in turn by core's ReconnectingLink.
 * - Offline, state changes collapse to the latest snapshot; responses and telemetry wait in a
 *   bounded Outbox whose drops are counted in `status$` and logged.
 */
@injectable()
export class MqttDeviceTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities;
  readonly status$: Observable<ConnectionStatus>;

  private readonly topics: MqttTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connection: MqttConnection;
  private readonly sender: BufferedSender<OutgoingMessage>;
  private readonly guard: RetainedGuard;
  // Made when commands$/desired$ is first watched: the agent uses listen() (see DeviceTransport).
  private commandsSubject?: Subject<InboundCommand>;
  private desiredSubject?: Subject<DesiredUpdate>;
  private listener?: { command(inbound: InboundCommand): void; desired(update: DesiredUpdate): void };
  /** The command being handed to the agent right now, and whether its response came back meanwhile. */
  private handing?: InboundCommand;
  private answeredWhileHanding = false;
  private readonly commandsTopic: string;
  private readonly responsesTopic: string;
  private readonly desiredTopic: string;
  private readonly stateTopic: string;
  private readonly stateOptions: MqttPublishOptions;
  private readonly connectionTopic: string;
  private latestState: StateSnapshot | undefined;
  /** The state's JSON, reusing the text of members unchanged since the last state (StateText). */
  private readonly stateText = new StateText();
  private readonly deviceId: string;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: MqttOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.DeviceId) agentDeviceId: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
    @inject(MQTT_TOKENS.TlsLoader) @optional() tlsLoader: TlsMaterialLoader | undefined,
    @inject(TOKENS.DeviceStorage) @optional() storage?: DeviceStorage,
  ) {
    // The device's identity on this broker (AmoraOS `broker.device_id`) may differ from the agent's.
    const deviceId = options.deviceId ?? agentDeviceId;
    this.deviceId = deviceId;
    this.topics = new MqttTopics(options.topicPrefix);
    this.commandsTopic = this.topics.commands(deviceId);
    this.responsesTopic = this.topics.responses(deviceId);
    this.desiredTopic = this.topics.desired(deviceId);
    this.stateTopic = this.topics.state(deviceId);
    this.stateOptions = { qos: options.qos.state, retain: true };
    this.connectionTopic = this.topics.connection(deviceId);
    this.logger = (logger ?? silentLogger).child({ transport: id });
    this.clock = clock ?? systemClock;
    this.capabilities = {
      maxPayloadBytes: options.maxPayloadBytes,
      qos: [0, 1, 2],
      retained: true,
      desiredState: true,
      // Each state is the whole retained snapshot, delivered in order on one connection: a change
      // made while one awaits its PUBACK leaves at once; a burst still merges (latest wins).
      statesInFlight: STATES_IN_FLIGHT,
    };
    this.connection = mqttConnectionFor(
      options,
      {
        clientId: options.clientId ?? deviceClientId(deviceId, id),
        clean: false,
        sessionExpirySeconds: options.sessionExpirySeconds,
        will: () => ({
          topic: this.connectionTopic,
          payload: JSON.stringify(lostOffline(deviceId, this.clock.now())),
          qos: options.qos.connection,
          retain: true,
        }),
      },
      {
        onConnected: (session) => this.resync(session),
        onDisconnected: () => this.sender.pause(),
        onMessage: (topic, payload, packet) => this.onMessage(topic, payload, packet),
      },
      { retryPolicy, clock: this.clock, logger: this.logger, tlsLoader },
    );
    this.sender = new BufferedSender<OutgoingMessage>({
      ...(storage ? { store: storage.outbox<OutgoingMessage>(id) } : {}),
      clock: this.clock,
      capacity: options.outboxSize,
      send: (message) => this.sendNow(message),
      connected: () => this.connection.connected,
      onStats: (stats) => this.connection.setOutbox(stats),
      logger: this.logger,
      describe: (message) => ({ topic: message.topic }),
    });
    this.guard = new RetainedGuard(
      async (topic) => {
        // Offline, resync() publishes both after the next connect.
        if (!this.sender.ready) return;
        if (topic === this.connectionTopic) await this.publishConnection('online');
        else if (this.latestState) await this.sendState(this.stateMessage(this.latestState));
      },
      this.clock,
      this.logger,
    );
    this.status$ = this.connection.status$;
  }

  // Getters: an observable kept per stream is memory every device of a fleet keeps.
  get commands$(): Observable<InboundCommand> {
    return (this.commandsSubject ??= new Subject()).asObservable();
  }

  get desired$(): Observable<DesiredUpdate> {
    return (this.desiredSubject ??= new Subject()).asObservable();
  }

  listen(listener: { command(inbound: InboundCommand): void; desired(update: DesiredUpdate): void }): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  async start(signal: AbortSignal): Promise<void> {
    await this.connection.start(signal);
  }

  async stop(reason: OfflineReason = 'graceful'): Promise<void> {
    this.sender.close();
    this.guard.close();
    await this.connection.stop(() => this.publishConnection('offline', reason));
  }

  publishState(snapshot: StateSnapshot, _patch: JsonObject): Promise<void> {
    // Not an async function: one promise per state, settled from the connection's callback (a
    // fleet publishes state every second).
    let payload: string;
    try {
      payload = this.stateMessage(snapshot);
    } catch (error) {
      return Promise.reject(error);
    }
    this.latestState = snapshot;
    // Offline, only the latest snapshot matters: resync() publishes it after the next connect.
    if (!this.sender.ready) return Promise.resolve();
    this.guard.published(this.stateTopic, payload);
    return new Promise((resolve, reject) => this.connection.send(this.stateTopic, payload, this.stateOptions, this.stateSettler(resolve, reject)));
  }

  /**
   * The callback of one state publish, made apart from publishState so that it keeps the
   * resolvers only, not the message (mqtt.js may keep a callback past its call; see core's
   * UnacknowledgedPublishes).
   */
  private stateSettler(resolve: () => void, reject: (error: TransportError) => void): (error?: TransportError) => void {
    return (error) => {
      // Lost meanwhile: resync() republishes it. Anything else (e.g. refused by an ACL) is the caller's to see.
      if (error && this.connection.connected) reject(error);
      else resolve();
    };
  }

  respond(command: InboundCommand, response: CommandResponse): Promise<void> {
    // Not an async function: the sender's promise is handed on, one promise fewer per command.
    if (command === this.handing) this.answeredWhileHanding = true;
    const context = (command.context ?? {}) as MqttCommandContext;
    let payload: string;
    try {
      payload = encodeResponseOrError(response, (answer) => encodePayload(answer, this.options.maxPayloadBytes, 'command response'), this.logger);
    } catch (error) {
      return Promise.reject(error);
    }
    const topic = context.responseTopic ?? this.responsesTopic;
    const qos = this.options.qos.responses;
    return this.sender.send(context.correlationData === undefined ? { topic, payload, qos } : { topic, payload, qos, correlationData: context.correlationData });
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const message: TelemetryMessage = {
      device_id: this.deviceId,
      kind: batch.kind,
      // A self-contained message names the device as this broker knows it (device-message.ts).
      records: batch.records.map((record) => wireRecord(isDeviceMessage(record) ? { ...record, data: deviceMessageFor(record, this.deviceId) } : record)),
    };
    await this.sender.send({
      topic: this.topics.telemetry(this.deviceId, batch.kind),
      payload: encodePayload(message, this.options.maxPayloadBytes, `telemetry batch "${batch.kind}"`),
      qos: this.options.qos.telemetry,
    });
  }

  /** Destroys the socket without a goodbye, as a network failure would (tests, chaos drills). */
  interruptConnection(): void {
    this.connection.interrupt();
  }

  /** After each connect: subscriptions, presence, full state, then what waited in the outbox. */
  private async resync(session: { sessionPresent: boolean; first: boolean }): Promise<void> {
    let subscribeError: unknown;
    if (session.first || !session.sessionPresent) {
      const qos = this.options.qos.commands;
      // Our own retained topics too: a stranger's message there is overwritten (RetainedGuard).
      // MQTT 5 `nl` keeps our own publishes from coming back; its QoS 1 also keeps a stranger's
      // message for us while we are offline. 3.1.1 has no `nl`: every state we publish comes
      // back, so QoS 0 spares a PUBACK per update (measured: CPU per state message 1.60x raw
      // with QoS 1, see docs/benchmarks.md); a stranger's message while we are offline is then
      // not kept, but the resync after the reconnect publishes ours over it anyway. A broker
      // whose ACL lets the device publish there but not read is no failure of the connection:
      // only the guard is off.
      const own = this.connection.protocolVersion === 5 ? { qos: 1 as const, nl: true } : { qos: 0 as const };
      // Both SUBSCRIBEs leave at once (the broker handles a connection's packets in order): one
      // round trip instead of two, which a fleet coming online pays per device.
      [subscribeError] = await Promise.all([
        this.tolerate('subscribe', this.connection.subscribe({ [this.commandsTopic]: { qos }, [this.desiredTopic]: { qos } })),
        this.tolerate('guard', this.connection.subscribe({ [this.stateTopic]: own, [this.connectionTopic]: own })),
      ]);
    }
    // The presence and the state to resend (a reconnect's) go out back to back, in this order, and are awaited together.
    const presence = this.tolerate('presence', this.publishConnection('online'));
    // Loop: a state change or a response may arrive while we publish; `ready` flips only when
    // nothing is pending, in the same tick as the last check.
    for (;;) {
      const state = this.latestState;
      await Promise.all([presence, state ? this.tolerate('state', this.sendState(this.stateMessage(state))) : undefined]);
      // A message the broker refuses (an ACL, a size limit) is dropped, not retried forever.
      const drained = await this.sender.drain(async (message) => void (await this.tolerate(message.topic, this.sendNow(message))));
      if (drained.error !== undefined) throw drained.error;
      if (this.latestState === state && this.sender.size === 0) break;
    }
    this.sender.open();
    // Reported as the status's error: online, but commands cannot arrive.
    if (subscribeError !== undefined) throw subscribeError;
  }

  /**
   * Awaits a publish or subscribe of the resync. A lost connection aborts the resync (rethrows);
   * a refusal on a live connection is logged and returned so the resync goes on.
   */
  private async tolerate(what: string, operation: Promise<void>): Promise<unknown> {
    try {
      await operation;
      return undefined;
    } catch (error) {
      if (!this.connection.connected) throw error;
      this.logger.warn({ what, err: isAmoraError(error) ? error.toJSON() : String(error) }, 'MQTT resync step refused by the broker');
      return error;
    }
  }

  private sendNow(message: OutgoingMessage): Promise<void> {
    const { topic, payload, qos, correlationData } = message;
    return this.connection.publish(
      topic,
      payload,
      correlationData && this.options.protocolVersion === 5
        ? // mqtt-packet writes any Uint8Array; its typings say Buffer, which browsers lack.
          { qos, retain: false, properties: { correlationData: correlationData as Buffer } }
        : { qos, retain: false },
    );
  }

  private sendState(payload: string): Promise<void> {
    this.guard.published(this.stateTopic, payload);
    return this.connection.publish(this.stateTopic, payload, this.stateOptions);
  }

  /** `JSON.stringify` of the DeviceStateMessage, with the state's text from StateText. */
  private stateMessage(snapshot: StateSnapshot): string {
    const text = stateMessageJson({
      device_id: JSON.stringify(this.deviceId),
      state: this.stateText.of(snapshot.state),
      version: JSON.stringify(snapshot.version),
      timestamp: JSON.stringify(snapshot.timestamp),
    });
    return sizedPayload(text, this.options.maxPayloadBytes, 'state message');
  }

  private publishConnection(status: 'online' | 'offline', reason?: OfflineReason): Promise<void> {
    const payload = JSON.stringify(presenceMessage(this.deviceId, status, this.clock.now(), reason));
    this.guard.published(this.connectionTopic, payload);
    return this.connection.publish(this.connectionTopic, payload, {
      qos: this.options.qos.connection,
      retain: true,
    });
  }

  private onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void {
    if (topic === this.commandsTopic) this.onCommand(payload, packet);
    else if (topic === this.desiredTopic) this.onDesired(payload);
    else if (topic === this.stateTopic || topic === this.connectionTopic) this.guard.received(topic, payload);
  }

  private onCommand(payload: Uint8Array, packet: IPublishPacket): void {
    if (packet.retain) {
      // A retained command would run again on every reconnect; refuse it rather than guess.
      this.logger.warn({ topic: packet.topic }, 'ignoring a retained command (publish commands without the retain flag)');
      return;
    }
    // Built member by member: spreading conditional parts allocated two objects more per command.
    const properties = packet.properties;
    const context: { responseTopic?: string; correlationData?: Uint8Array } = {};
    if (properties) {
      if (properties.responseTopic) context.responseTopic = properties.responseTopic;
      if (properties.correlationData) context.correlationData = new Uint8Array(properties.correlationData);
    }
    // Core refuses a payload too large to parse and still finds its command_id to address the refusal.
    const inbound: InboundCommand = { payload, context };
    this.handing = inbound;
    this.answeredWhileHanding = false;
    try {
      this.listener?.command(inbound);
      this.commandsSubject?.next(inbound);
    } finally {
      this.handing = undefined;
    }
    // Answered at once: the response is written (or, while the connection resyncs, queued) and
    // mqtt.js writes the PUBACK next, in the same tick, which its own cork joins into one write.
    // Otherwise hold this turn's writes (the PUBACK) so an answer a few promise hops later still
    // leaves with it.
    if (!this.answeredWhileHanding) this.connection.coalesceWrites();
  }

  private onDesired(payload: Uint8Array): void {
    if (payload.byteLength === 0) return;
    let patch: unknown;
    try {
      if (payload.byteLength > this.options.maxPayloadBytes) throw new Error(`larger than ${this.options.maxPayloadBytes} bytes`);
      patch = JSON.parse(utf8.decode(payload));
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'ignoring a desired-state message that is not JSON');
      return;
    }
    const problem = findJsonProblem(patch);
    if (!isJsonObject(patch) || problem) {
      this.logger.warn({ reason: problem?.message ?? 'not a JSON object' }, 'ignoring an invalid desired-state patch');
      return;
    }
    const update: DesiredUpdate = { patch };
    this.listener?.desired(update);
    this.desiredSubject?.next(update);
  }
}
