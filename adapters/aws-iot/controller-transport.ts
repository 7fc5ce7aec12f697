import { GetThingShadowCommand, PublishCommand, UpdateThingShadowCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { inject, injectable, optional } from 'inversify';
import { readFile } from 'node:fs/promises';
import { distinctUntilChanged, map, Observable, startWith, filter, type OperatorFunction } from 'rxjs';
import {
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
  deepEqual,
  deviceDirectory,
  parsedTelemetryMessageSchema,
  PendingCommands,
  presenceOf,
  readCommandResponse,
  ResponseSubscriptions,
  SharedStreams,
} from '../../core/internal.js';
import type { AwsLink } from './aws-link.js';
import { createAwsLink } from './create-link.js';
import { createDataPlaneClient, dataPlaneError, isNotFound } from './data-plane.js';
import type { AwsIotOptions } from './options.js';
import { MQTT_PAYLOAD_LIMIT_BYTES } from './payloads.js';
import { parseDocuments, parseGetAccepted } from './shadow-document.js';
import { shadowTopic } from './shadow-topics.js';
import { TopicRouter } from './topic-router.js';
import { AwsTopics } from './topics.js';

const DEFAULT_INVOKE_TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();

interface RoutedMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
}

/**
 * The controller side on AWS IoT Core, for apps, backends and `amora ctl`:
 *
 * - `getState` / `setDesired`: GetThingShadow / UpdateThingShadow (desired) over the data-plane
 *   REST API (`@aws-sdk/client-iot-data-plane`, SigV4).
 * - `invoke`: publishes the command on `{p}/devices/{thing}/commands` (over its own MQTT
 *   connection, or the REST Publish API) and waits for the response with the same command_id on
 *   `.../responses`, subscribed before the command leaves.
 * - `state$`: the shadow's reported state, read once over REST and then followed through
 *   `shadow/update/documents`; `connection$` / `devices$`: the devices' presence topics.
 *
 * The MQTT side is its own connection (the `link` option: mqtt.js or aws-iot-device-sdk-v2) with the controller's own
 * certificate (a client id of its own; the IoT policy must allow it). Shadow versions stand in
 * for state versions and shadow timestamps (seconds) become milliseconds.
 */
@injectable()
export class AwsIotControllerTransport implements ControllerTransport {
  readonly status$: Observable<ConnectionStatus>;
  readonly clientId: string;

  private readonly topics: AwsTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connection: AwsLink;
  private readonly router: TopicRouter;
  private readonly streams = new SharedStreams();
  /** The calls waiting for an answer, by command_id, their deadlines on one timer. */
  private readonly pending: PendingCommands;
  /** Devices' responses topics (with `fleet`, one for all), each subscribed before the first command to it and kept. */
  private readonly responses: ResponseSubscriptions;
  private dataPlane: IoTDataPlaneClient | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: AwsIotOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
  ) {
    this.topics = new AwsTopics(options.topicPrefix);
    this.logger = (logger ?? silentLogger).child({ controller: id });
    this.clock = clock ?? systemClock;
    this.pending = new PendingCommands(this.clock);
    this.clientId = options.clientId ?? `amora-ctl-${Math.random().toString(36).slice(2, 10)}`;
    this.connection = createAwsLink(
      options,
      // A controller has no backlog worth keeping; its live filters are restored on connect. Its
      // subscriptions are QoS 0 (below), so answers come without a PUBACK to hold back: unlike the
      // MQTT controller's, this connection defers no acknowledgement.
      { clientId: this.clientId, cleanSession: true },
      { onMessage: (topic, payload, retain) => this.router.dispatch(topic, payload, retain) },
      { retryPolicy, clock: this.clock, logger: this.logger },
    );
    // QoS 0: with a clean session QoS 1 buys nothing (nothing is kept for us while offline), and
    // on the sdk link each PUBACK would hold back our next publish on aws-crt's Nagle-enabled socket.
    this.router = new TopicRouter(this.connection, 0, this.logger);
    this.responses = new ResponseSubscriptions(
      (deviceId) =>
        this.router.add(deviceId === undefined ? this.topics.allDevices('responses') : this.topics.responses(deviceId), (_topic, payload) => {
          const response = readCommandResponse(payload);
          if (response) this.pending.settle(response);
        }),
      this.options.controller.responseSubscription,
    );
    this.status$ = this.connection.status$;
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    const caPem = this.options.caPath ? await readFile(this.options.caPath, 'utf8') : undefined;
    this.dataPlane = createDataPlaneClient(this.options, caPem);
    await this.connection.start(signal);
  }

  /** Disconnects; invocations still waiting are rejected with `closed`. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.pending.rejectAll(new TransportError('closed', 'controller stopped before the device answered'));
    this.responses.releaseAll();
    await this.connection.stop();
    this.dataPlane?.destroy();
  }

  state$(deviceId: string): Observable<DeviceStateMessage> {
    const documentsTopic = shadowTopic(deviceId, this.options.shadowName, 'update/documents');
    return this.stream(`state:${deviceId}`, (subscriber) => {
      let latestVersion = -1;
      let latestReported: JsonObject | undefined;
      const emit = (reported: JsonObject | undefined, version: number, timestampSeconds: number | undefined): void => {
        if (version <= latestVersion) return;
        latestVersion = version;
        if (reported === undefined || (latestReported !== undefined && deepEqual(latestReported, reported))) return;
        latestReported = reported;
        subscriber.next({ device_id: deviceId, state: reported, version, timestamp: (timestampSeconds ?? this.clock.now() / 1000) * 1000 });
      };
      const lease = this.router.add(documentsTopic, (_topic, payload) => {
        const documents = parseDocuments(payload);
        if (documents) emit(documents.current.reported, documents.current.version, documents.timestamp);
      });
      // Subscribed first, read second: a change in between arrives with a higher version.
      lease.ready
        .then(() => this.readShadow(deviceId))
        .then((document) => {
          if (document) emit(document.reported, document.version, document.timestamp);
        })
        .catch((error: unknown) => this.logger.warn({ deviceId, err: String(error) }, 'could not read the shadow for state$'));
      return () => lease.release();
    });
  }

  connection$(deviceId: string): Observable<PresenceState> {
    return this.stream(`connection:${deviceId}`, this.topicSource(this.topics.connection(deviceId)), (source) =>
      source.pipe(
        map((message) => presenceOf(message.payload)),
        filter((presence): presence is PresenceState => presence !== undefined),
        startWith<PresenceState>('unknown'),
        distinctUntilChanged(),
      ),
    );
  }

  devices$(): Observable<readonly DeviceInfo[]> {
    return this.stream('devices', this.topicSource(this.topics.allDevices('connection')), (source) =>
      source.pipe(
        map((message) => {
          const parsed = this.topics.parseDevice(message.topic);
          const presence = presenceOf(message.payload);
          return parsed && presence !== undefined ? { deviceId: parsed.thingName, presence } : undefined;
        }),
        filter((sighting) => sighting !== undefined),
        deviceDirectory(),
      ),
    );
  }

  /** Telemetry batches of one device (one kind, or all kinds). */
  telemetry$(deviceId: string, kind?: string): Observable<TelemetryMessage> {
    const topic = kind === undefined ? `${this.topics.prefix}/telemetry/${deviceId}/#` : this.topics.telemetry(deviceId, kind);
    return this.stream(
      `telemetry:${topic}`,
      this.topicSource(topic),
      (source) =>
        source.pipe(
          map((message) => readPayload(parsedTelemetryMessageSchema, message.payload)),
          filter((message): message is TelemetryMessage => message !== undefined),
        ),
      false,
    );
  }

  /**
   * Not an async function, like the MQTT controller's: the answer settles the caller's promise
   * straight from the responses topic's handler. The deadline runs from the call, SUBACK and
   * PUBACK included.
   */
  invoke(deviceId: string, command: string, params: JsonObject = {}, options: InvokeOptions = {}): Promise<CommandResponse> {
    const commandId = options.commandId ?? crypto.randomUUID();
    const timeoutMs = options.timeoutMs ?? DEFAULT_INVOKE_TIMEOUT_MS;
    let topic: string;
    let payload: string;
    try {
      topic = this.topics.commands(deviceId);
      payload = JSON.stringify({ command, command_id: commandId, params, timestamp: this.clock.now() });
    } catch (error) {
      return Promise.reject(error);
    }
    if (encoder.encode(payload).byteLength > MQTT_PAYLOAD_LIMIT_BYTES) {
      return Promise.reject(new TransportError('payload_too_large', `command "${command}" is over AWS IoT's ${MQTT_PAYLOAD_LIMIT_BYTES}-byte limit`));
    }
    if (!this.connection.online) return Promise.reject(new TransportError('unavailable', `cannot send "${command}" to ${deviceId}: controller is offline`));
    // Still online while stop() disconnects: stop() has rejected every waiting call already.
    if (this.stopping) return Promise.reject(new TransportError('closed', `cannot send "${command}" to ${deviceId}: controller is stopping`));

    // Registered before the command leaves, so an answer cannot slip past.
    const waiter = this.pending.add(commandId, timeoutMs, command, deviceId);
    // The first command to a device waits for its responses topic's SUBACK; a refusal ends the call.
    this.responses
      .send(deviceId, () =>
        // A command must not leave after its caller was told `closed` (stop() rejected it).
        this.stopping ? Promise.reject(new TransportError('closed', 'stopped before the command was sent')) : this.publishCommand(topic, payload),
      )
      .catch((error: unknown) =>
        // Stopped meanwhile: say so, rather than whichever operation the shutdown cut short.
        waiter.fail(this.stopping ? new TransportError('closed', `controller stopped before ${deviceId} answered "${command}"`, { cause: error }) : error),
      );
    return waiter.promise;
  }

  async getState(deviceId: string): Promise<DeviceStateMessage | undefined> {
    const document = await this.readShadow(deviceId);
    if (!document?.reported) return undefined;
    return {
      device_id: deviceId,
      state: document.reported,
      version: document.version,
      timestamp: (document.timestamp ?? this.clock.now() / 1000) * 1000,
    };
  }

  async setDesired(deviceId: string, patch: JsonObject): Promise<void> {
    const payload = encoder.encode(JSON.stringify({ state: { desired: patch } }));
    try {
      await this.requireDataPlane().send(
        new UpdateThingShadowCommand({ thingName: deviceId, payload, ...(this.options.shadowName ? { shadowName: this.options.shadowName } : {}) }),
      );
    } catch (error) {
      throw dataPlaneError(error, `cannot set desired state of ${deviceId}`);
    }
  }

  private async readShadow(deviceId: string): Promise<ReturnType<typeof parseGetAccepted>> {
    try {
      const response = await this.requireDataPlane().send(
        new GetThingShadowCommand({ thingName: deviceId, ...(this.options.shadowName ? { shadowName: this.options.shadowName } : {}) }),
      );
      return parseGetAccepted(response.payload ?? new Uint8Array());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw dataPlaneError(error, `cannot read the shadow of ${deviceId}`);
    }
  }

  private async publishCommand(topic: string, payload: string): Promise<void> {
    if (this.options.controller.commandPublish === 'mqtt') {
      await this.connection.publish(topic, payload, this.options.qos.commands);
      return;
    }
    try {
      await this.requireDataPlane().send(new PublishCommand({ topic, qos: this.options.qos.commands, payload: encoder.encode(payload) }));
    } catch (error) {
      throw dataPlaneError(error, `cannot publish to ${topic}`);
    }
  }

  private requireDataPlane(): IoTDataPlaneClient {
    if (!this.dataPlane) throw new TransportError('unavailable', 'AWS IoT controller is not started');
    return this.dataPlane;
  }

  private topicSource(topic: string): (subscriber: { next(message: RoutedMessage): void }) => () => void {
    return (subscriber) => {
      const lease = this.router.add(topic, (received, payload) => subscriber.next({ topic: received, payload }));
      return () => lease.release();
    };
  }

  /** The shared stream of what `produce` emits while someone listens, through `pipe`. */
  private stream<T, S = T>(
    key: string,
    produce: (subscriber: { next(value: S): void }) => () => void,
    pipe?: OperatorFunction<S, T>,
    replay = true,
  ): Observable<T> {
    return this.streams.get(
      key,
      () => {
        const source = new Observable<S>((subscriber) => produce(subscriber));
        return (pipe ? source.pipe(pipe) : source) as Observable<T>;
      },
      { replay },
    );
  }
}
