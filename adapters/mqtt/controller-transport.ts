import { inject, injectable, optional } from 'inversify';
import { distinctUntilChanged, filter, firstValueFrom, map, Observable, ReplaySubject, startWith, race, type OperatorFunction } from 'rxjs';
import {
  encodePayload,
  readPayload,
  silentLogger,
  systemClock,
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
import {
  deviceDirectory,
  parsedDeviceStateMessageSchema,
  parsedTelemetryMessageSchema,
  PendingCommands,
  presenceOf,
  readCommandResponse,
  ResponseSubscriptions,
  SharedStreams,
} from '../../core/internal.js';
import type { MqttConnection, MqttConnectionHooks } from '../../core/mqtt.js';
import { controllerClientId } from './client-id.js';
import { mqttConnectionFor } from './connection.js';
import type { MqttOptions } from './options.js';
import type { TlsMaterialLoader } from './tls.js';
import { MQTT_TOKENS } from './tokens.js';
import { TopicSubscriptions, type TopicMessage } from './topic-subscriptions.js';
import { assertTopicLevel, MqttTopics } from './topics.js';

const DEFAULT_INVOKE_TIMEOUT_MS = 10_000;
/** Upper bound on waiting for the broker's retained state when the sync marker does not come back. */
const RETAINED_WAIT_CAP_MS = 2_000;

const decoder = new TextDecoder();

/**
 * Whether a message came where answers to commands arrive: a device's `{p}/devices/{id}/responses`
 * or, on MQTT 5, this controller's own `{p}/clients/{id}/responses`. Their PUBACKs wait until the
 * caller awaiting the answer has resumed (core's `deferAcknowledgement`).
 */
function isResponsesTopic(topic: string): boolean {
  return topic.endsWith('/responses');
}

/** MQTT 5 only; on 3.1.1 the refusal ends the command, since no answer could be heard. */
const RESPONSES_REFUSED =
  'the broker refused a responses subscription (the error names the filter): answers reach this controller only from devices on MQTT 5 that answer on the response topic the command names';

/**
 * The controller side of the generic MQTT protocol, for apps, backends and `amora ctl`.
 * Browser-safe (mqtt.js over ws:// or wss:// there).
 *
 * Topic streams are ref-counted: the first subscriber subscribes on the broker, the last one
 * unsubscribes, and late subscribers get the latest value at once. Commands are correlated by
 * command_id; answers come from the device's responses topic and, with MQTT 5, to this client's
 * own response topic, which each command names.
 */
@injectable()
export class MqttControllerTransport implements ControllerTransport {
  readonly status$: Observable<ConnectionStatus>;
  /** The client id in use (random unless configured); names this controller's response topic. */
  readonly clientId: string;

  private readonly topics: MqttTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connection: MqttConnection;
  /** Where commands go out: the one connection, or their own (`commandConnection: separate`). */
  private readonly commandLink: MqttConnection;
  private readonly subscriptions: TopicSubscriptions;
  private readonly streams = new SharedStreams();
  /** The calls waiting for an answer, by command_id, their deadlines on one timer. */
  private readonly pending: PendingCommands;
  private readonly syncWaiters = new Map<string, () => void>();
  /** Devices' responses topics (with `fleet`, one for all), each subscribed before the first command to it and kept. */
  private readonly responses: ResponseSubscriptions;
  /** MQTT 5: told when the broker refuses a device's responses topic (the error names it). */
  private readonly responsesRefused = (error: unknown): void => this.logger.warn({ err: String(error) }, RESPONSES_REFUSED);
  private readonly clientTopic: string;
  /** MQTT 5: where devices answer this controller's commands. */
  private readonly responseTopic: string;
  private syncSeq = 0;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: MqttOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
    @inject(MQTT_TOKENS.TlsLoader) @optional() tlsLoader: TlsMaterialLoader | undefined,
  ) {
    this.topics = new MqttTopics(options.topicPrefix);
    this.logger = (logger ?? silentLogger).child({ controller: id });
    this.clock = clock ?? systemClock;
    this.pending = new PendingCommands(this.clock);
    this.clientId = options.clientId ?? controllerClientId();
    this.clientTopic = `${this.topics.prefix}/clients/${assertTopicLevel(this.clientId, 'client id')}`;
    this.responseTopic = `${this.clientTopic}/responses`;
    const deps = { retryPolicy, clock: this.clock, logger: this.logger, tlsLoader };
    // A controller has no backlog worth keeping; it resubscribes what is live instead. An
    // answer's PUBACK waits until the caller awaiting it has resumed.
    const connection = (clientId: string, hooks: MqttConnectionHooks): MqttConnection =>
      mqttConnectionFor(options, { clientId, clean: true, deferAcknowledgement: isResponsesTopic }, hooks, deps);
    this.connection = connection(this.clientId, {
      onConnected: () => this.onConnected(),
      onMessage: (topic, payload, packet) => this.onMessage({ topic, payload, packet }),
    });
    // It only publishes: nothing arrives on it but the broker's PUBACKs.
    this.commandLink =
      options.commandConnection === 'separate' ? connection(`${this.clientId}-commands`, { onMessage: () => undefined }) : this.connection;
    this.subscriptions = new TopicSubscriptions(this.connection, options.qos.responses, this.logger);
    const onResponse = (message: TopicMessage): void => this.onResponse(message);
    this.responses = new ResponseSubscriptions(
      (deviceId) => this.subscriptions.add(deviceId === undefined ? this.topics.allDevices('responses') : this.topics.responses(deviceId), onResponse),
      options.responseSubscription,
    );
    this.status$ = this.connection.status$;
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.connection.start(signal), this.commandLink.start(signal)]);
  }

  async stop(): Promise<void> {
    this.pending.rejectAll(new TransportError('closed', 'controller stopped before the response arrived'));
    this.responses.releaseAll();
    await Promise.all([this.connection.stop(), this.commandLink.stop()]);
  }

  state$(deviceId: string): Observable<DeviceStateMessage> {
    return this.stream(`state:${deviceId}`, this.topics.state(deviceId), (source) =>
      source.pipe(
        map((message) => readPayload(parsedDeviceStateMessageSchema, message.payload)),
        filter((message): message is DeviceStateMessage => message !== undefined && message.device_id === deviceId),
      ),
    );
  }

  connection$(deviceId: string): Observable<PresenceState> {
    return this.stream(`connection:${deviceId}`, this.topics.connection(deviceId), (source) =>
      source.pipe(
        map((message) => presenceOf(message.payload)),
        filter((presence): presence is PresenceState => presence !== undefined),
        startWith<PresenceState>('unknown'),
        distinctUntilChanged(),
      ),
    );
  }

  devices$(): Observable<readonly DeviceInfo[]> {
    return this.stream('devices', this.topics.allDevices('connection'), (source) =>
      source.pipe(
        map((message) => {
          const parsed = this.topics.parse(message.topic);
          const presence = presenceOf(message.payload);
          return parsed && presence !== undefined ? { deviceId: parsed.deviceId, presence } : undefined;
        }),
        filter((sighting) => sighting !== undefined),
        deviceDirectory(),
      ),
    );
  }

  /** Every device's state messages through one wildcard subscription (retained states first). */
  fleetStates$(): Observable<DeviceStateMessage> {
    return this.stream(
      'states',
      this.topics.allDevices('state'),
      (source) =>
        source.pipe(
          map((message) => {
            const state = readPayload(parsedDeviceStateMessageSchema, message.payload);
            // A message on another device's topic claiming to be this one is not believed.
            return state !== undefined && this.topics.parse(message.topic)?.deviceId === state.device_id ? state : undefined;
          }),
          filter((state): state is DeviceStateMessage => state !== undefined),
        ),
      false,
    );
  }

  /** Telemetry batches of one device (one kind, or all kinds). */
  telemetry$(deviceId: string, kind?: string): Observable<TelemetryMessage> {
    const topic = this.topics.telemetryFilter(deviceId, kind ?? '#');
    return this.stream(`telemetry:${topic}`, topic, (source) =>
      source.pipe(
        map((message) => readPayload(parsedTelemetryMessageSchema, message.payload)),
        filter((message): message is TelemetryMessage => message !== undefined),
      ),
      false,
    );
  }

  /**
   * Not an async function: the answer settles the caller's promise directly from the message
   * handler, where awaiting the PUBACK and then the answer cost three promise hops per command.
   * An answer that comes before the PUBACK (a separate command connection) is taken as it is.
   */
  invoke(deviceId: string, command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<CommandResponse> {
    const commandId = options.commandId ?? newCommandId();
    const timeoutMs = options.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS;
    if (!this.connection.online || !this.commandLink.online) {
      return Promise.reject(new TransportError('unavailable', `cannot send "${command}" to ${deviceId}: controller is offline`));
    }
    // Known only once connected: a 3.1.1-only broker makes the connection fall back from 5.
    const v5 = this.connection.protocolVersion === 5 && this.commandLink.protocolVersion === 5;
    // A command must not run after its caller gave up (an offline device's session would deliver
    // it hours later). MQTT 5: the broker discards it at the deadline (message expiry, no clocks
    // involved). 3.1.1 has no expiry: the envelope carries `expires_at` for the device to check.
    const now = this.clock.now();
    let topic: string;
    let payload: string;
    try {
      topic = this.topics.commands(deviceId);
      payload = encodePayload(
        v5 ? { command, command_id: commandId, params, timestamp: now } : { command, command_id: commandId, params, timestamp: now, expires_at: now + timeoutMs },
        this.options.maxPayloadBytes,
        `command "${command}"`,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    // No correlation data: the response carries the command_id, which is what answers are
    // matched by, so a copy in the properties would only be encoded, stored and parsed twice.
    const qos = this.options.qos.commands;
    const publishOptions = v5
      ? { qos, retain: false, properties: { responseTopic: this.responseTopic, messageExpiryInterval: Math.max(1, Math.ceil(timeoutMs / 1_000)) } }
      : { qos, retain: false };
    // Registered before the command leaves: an answer may come before the PUBACK.
    const waiter = this.pending.add(commandId, timeoutMs, command, deviceId);
    // Answers are heard on the device's responses topic and, with MQTT 5, on our own response
    // topic, which the command names. Both: a device on 3.1.1 never sees the response topic (the
    // broker drops properties for it), and the AmoraOS devices answer on their responses topic
    // whatever the command says. The first command to a device waits for that subscription's
    // SUBACK, except on MQTT 5 over the one connection: there the SUBSCRIBE is ahead of the
    // command on the wire, and MQTT 5 devices answer on our own topic anyway (a command to a new
    // device each time, as a fleet-wide rollout sends, would otherwise pay a round trip more).
    // A refused publish ends the call; after the answer it changes nothing.
    const publish = (): Promise<void> => this.commandLink.publish(topic, payload, publishOptions);
    const sent =
      v5 && this.commandLink === this.connection
        ? this.responses.sendNow(deviceId, publish, this.responsesRefused)
        : this.responses.send(deviceId, publish, v5 ? this.responsesRefused : undefined);
    sent.catch((error: unknown) => waiter.fail(error));
    return waiter.promise;
  }

  async getState(deviceId: string): Promise<DeviceStateMessage | undefined> {
    const values = new ReplaySubject<DeviceStateMessage>(1);
    const subscription = this.state$(deviceId).subscribe(values);
    try {
      // A stream already live replays its latest value synchronously.
      let latest: DeviceStateMessage | undefined;
      values.subscribe((value) => (latest = value)).unsubscribe();
      if (latest) return latest;
      if (!this.connection.online) throw new TransportError('unavailable', `cannot read the state of ${deviceId}: controller is offline`);
      const lease = this.subscriptions.add(this.topics.state(deviceId), () => undefined);
      try {
        await lease.ready;
        // The broker sends retained messages right after the SUBACK; a marker published after the
        // SUBACK comes back behind them, so its arrival means "there was none".
        const marker = this.syncPoint();
        const first = await firstValueFrom(race(values, marker.pipe(map(() => undefined))), { defaultValue: undefined });
        return first;
      } finally {
        lease.release();
      }
    } finally {
      subscription.unsubscribe();
    }
  }

  async setDesired(deviceId: string, patch: JsonObject): Promise<void> {
    const payload = encodePayload(patch, this.options.maxPayloadBytes, 'desired-state patch');
    if (!this.connection.online) throw new TransportError('unavailable', `cannot set desired state of ${deviceId}: controller is offline`);
    await this.connection.publish(this.topics.desired(deviceId), payload, { qos: this.options.qos.commands, retain: false });
  }

  /** The shared stream of one topic's messages through `pipe`: subscribed on the broker while someone listens. */
  private stream<T>(key: string, topic: string, pipe: OperatorFunction<TopicMessage, T>, replay = true): Observable<T> {
    return this.streams.get(
      key,
      () =>
        new Observable<TopicMessage>((subscriber) => {
          const lease = this.subscriptions.add(topic, (message) => subscriber.next(message));
          return () => lease.release();
        }).pipe(pipe),
      { replay },
    );
  }

  /** A marker message to ourselves: resolves when it has made the round trip through the broker. */
  private syncPoint(): Observable<void> {
    return new Observable<void>((subscriber) => {
      const nonce = `${++this.syncSeq}`;
      this.syncWaiters.set(nonce, () => {
        subscriber.next();
        subscriber.complete();
      });
      this.connection.publish(`${this.clientTopic}/sync`, nonce, { qos: 0, retain: false }).catch(() => undefined);
      // If something (an ACL) swallows the marker, do not wait forever.
      const cap = this.clock.setTimeout(() => subscriber.complete(), RETAINED_WAIT_CAP_MS);
      return () => {
        cap.cancel();
        this.syncWaiters.delete(nonce);
      };
    });
  }

  private async onConnected(): Promise<void> {
    await this.connection.subscribe({ [`${this.clientTopic}/+`]: { qos: this.options.qos.responses } });
    await this.subscriptions.resubscribeAll();
  }

  private onMessage(message: TopicMessage): void {
    // Checked first: an answer to a command is the message whose latency matters here.
    if (message.topic === this.responseTopic) return this.onResponse(message);
    if (message.topic.startsWith(this.clientTopic) && message.topic.charAt(this.clientTopic.length) === '/') {
      const channel = message.topic.slice(this.clientTopic.length + 1);
      if (channel === 'sync') this.syncWaiters.get(decoder.decode(message.payload))?.();
      return;
    }
    this.subscriptions.dispatch(message);
  }

  private onResponse(message: TopicMessage): void {
    const response = readCommandResponse(message.payload);
    if (!response) {
      this.logger.debug({ topic: message.topic }, 'ignoring a malformed command response');
      return;
    }
    this.pending.settle(response);
  }
}

function newCommandId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
