import { inject, injectable, optional } from 'inversify';
import type { IPublishPacket } from 'mqtt';
import { Subject, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../../core/clock.js';
import type { CommandResponse } from '../../core/commands/types.js';
import { isAmoraError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logging/logger.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import { isJsonObject, type JsonObject } from '../../core/state/json.js';
import { findJsonProblem } from '../../core/state/json-guard.js';
import type { DeviceStateMessage, StateSnapshot } from '../../core/state/snapshot.js';
import { Outbox } from '../../core/telemetry/outbox.js';
import type { TelemetryBatch } from '../../core/telemetry/types.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import type {
  DesiredUpdate,
  DeviceTransport,
  InboundCommand,
  TransportCapabilities,
} from '../../core/transport/device-transport.js';
import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';
import { deviceClientId } from './client-id.js';
import { MqttConnection } from './connection.js';
import type { ConnectionMessage, OfflineReason, TelemetryMessage } from '../../core/transport/wire-messages.js';
import type { MqttOptions, MqttQos } from './options.js';
import { encodePayload } from '../../core/transport/payload-json.js';
import { inlineTlsLoader, type TlsMaterialLoader } from './tls.js';
import { MQTT_TOKENS } from './tokens.js';
import { MqttTopics } from './topics.js';

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
 * The generic MQTT device transport (see topics.ts for the layout).
 *
 * - A persistent session with a stable client id, so QoS 1 commands sent while the device was
 *   offline arrive when it reconnects.
 * - After every (re)connect: resubscribe when the broker lost the session, announce `online`
 *   (retained), republish the full current state (retained), then flush the outbox. The will
 *   announces `offline`/`lost` if the connection dies without a goodbye.
 * - Offline, state changes collapse to the latest snapshot; responses and telemetry wait in a
 *   bounded Outbox whose drops are counted in `status$` and logged.
 */
@injectable()
export class MqttDeviceTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities;
  readonly status$: Observable<ConnectionStatus>;
  readonly commands$: Observable<InboundCommand>;
  readonly desired$: Observable<DesiredUpdate>;

  private readonly topics: MqttTopics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly connection: MqttConnection;
  private readonly outbox: Outbox<OutgoingMessage>;
  private readonly commandsSubject = new Subject<InboundCommand>();
  private readonly desiredSubject = new Subject<DesiredUpdate>();
  private readonly commandsTopic: string;
  private readonly desiredTopic: string;
  private latestState: StateSnapshot | undefined;
  /** True once the resync after a connect is done: publishes go straight out. */
  private ready = false;
  private stopped = false;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: MqttOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.DeviceId) private readonly deviceId: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
    @inject(MQTT_TOKENS.TlsLoader) @optional() private readonly tlsLoader: TlsMaterialLoader | undefined,
  ) {
    this.topics = new MqttTopics(options.topicPrefix);
    this.commandsTopic = this.topics.commands(deviceId);
    this.desiredTopic = this.topics.desired(deviceId);
    this.logger = (logger ?? silentLogger).child({ transport: id });
    this.clock = clock ?? systemClock;
    this.capabilities = {
      maxPayloadBytes: options.maxPayloadBytes,
      qos: [0, 1, 2],
      retained: true,
      desiredState: true,
    };
    this.outbox = new Outbox<OutgoingMessage>({
      capacity: options.outboxSize,
      onOverflow: (dropped, lost) => {
        this.logger.warn({ dropped, topic: lost.topic }, 'MQTT outbox full; dropped the oldest message');
        this.reportOutbox();
      },
    });
    this.connection = new MqttConnection(
      {
        url: options.url,
        clientId: options.clientId ?? deviceClientId(deviceId, id),
        protocolVersion: options.protocolVersion,
        keepaliveSeconds: options.keepaliveSeconds,
        connectTimeoutMs: options.connectTimeoutMs,
        clean: false,
        sessionExpirySeconds: options.sessionExpirySeconds,
        ...(options.username === undefined ? {} : { username: options.username }),
        ...(options.password === undefined ? {} : { password: options.password }),
        will: () => ({
          topic: this.topics.connection(deviceId),
          payload: JSON.stringify(this.connectionMessage('offline', 'lost')),
          qos: options.qos.connection,
          retain: true,
        }),
      },
      {
        onConnected: (session) => this.resync(session),
        onDisconnected: () => {
          this.ready = false;
        },
        onMessage: (topic, payload, packet) => this.onMessage(topic, payload, packet),
      },
      {
        retryPolicy: retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
        clock: this.clock,
        logger: this.logger,
      },
    );
    this.status$ = this.connection.status$;
    this.commands$ = this.commandsSubject.asObservable();
    this.desired$ = this.desiredSubject.asObservable();
    this.reportOutbox();
  }

  async start(signal: AbortSignal): Promise<void> {
    const tls = this.options.tls ? await (this.tlsLoader ?? inlineTlsLoader)(this.options.tls) : undefined;
    await this.connection.start(signal, tls);
  }

  async stop(reason: OfflineReason = 'graceful'): Promise<void> {
    this.stopped = true;
    this.ready = false;
    await this.connection.stop(() => this.publishConnection('offline', reason));
  }

  async publishState(snapshot: StateSnapshot, _patch: JsonObject): Promise<void> {
    const payload = this.stateMessage(snapshot);
    this.latestState = snapshot;
    // Offline, only the latest snapshot matters: resync() publishes it after the next connect.
    if (!this.ready) return;
    try {
      await this.sendState(payload);
    } catch (error) {
      // Lost meanwhile: resync() republishes it. Anything else (e.g. refused by an ACL) is the caller's to see.
      if (this.connection.connected) throw error;
    }
  }

  async respond(command: InboundCommand, response: CommandResponse): Promise<void> {
    const context = (command.context ?? {}) as MqttCommandContext;
    let payload: string;
    try {
      payload = encodePayload(response, this.options.maxPayloadBytes, 'command response');
    } catch (error) {
      // Answer anyway, so the caller is not left waiting for a response that can never be sent.
      if (!isAmoraError(error)) throw error;
      this.logger.warn({ commandId: response.command_id, err: error.toJSON() }, 'command response too large; answering with an error');
      payload = JSON.stringify({
        command_id: response.command_id,
        command: response.command,
        success: false,
        error: error.toJSON(),
        timestamp: response.timestamp,
      });
    }
    await this.send({
      topic: context.responseTopic ?? this.topics.responses(this.deviceId),
      payload,
      qos: this.options.qos.responses,
      ...(context.correlationData === undefined ? {} : { correlationData: context.correlationData }),
    });
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const message: TelemetryMessage = {
      device_id: this.deviceId,
      kind: batch.kind,
      records: batch.records.map((record) => ({ data: record.data, timestamp: record.timestamp })),
    };
    await this.send({
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
      subscribeError = await this.tolerate('subscribe', this.connection.subscribe({ [this.commandsTopic]: { qos }, [this.desiredTopic]: { qos } }));
    }
    await this.tolerate('presence', this.publishConnection('online'));
    // Loop: a state change or a response may arrive while we publish; `ready` flips only when
    // nothing is pending, in the same tick as the last check.
    for (;;) {
      const state = this.latestState;
      if (state) await this.tolerate('state', this.sendState(this.stateMessage(state)));
      // A message the broker refuses (an ACL, a size limit) is dropped, not retried forever.
      const drained = await this.outbox.drain(async (message) => void (await this.tolerate(message.topic, this.sendNow(message))));
      this.reportOutbox();
      if (drained.error !== undefined) throw drained.error;
      if (this.latestState === state && this.outbox.size === 0) break;
    }
    this.ready = true;
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

  private async send(message: OutgoingMessage): Promise<void> {
    if (this.ready) {
      try {
        await this.sendNow(message);
        return;
      } catch (error) {
        // The socket dropped before 'close' reached us: keep the message for the next connect.
        if (this.connection.connected) throw error;
      }
    }
    if (this.stopped) {
      this.logger.warn({ topic: message.topic }, 'MQTT transport stopped; message not sent');
      return;
    }
    this.outbox.push(message);
    this.reportOutbox();
  }

  private sendNow(message: OutgoingMessage): Promise<void> {
    const properties =
      message.correlationData && this.options.protocolVersion === 5
        ? // mqtt-packet writes any Uint8Array; its typings say Buffer, which browsers lack.
          { properties: { correlationData: message.correlationData as Buffer } }
        : {};
    return this.connection.publish(message.topic, message.payload, { qos: message.qos, retain: false, ...properties });
  }

  private sendState(payload: string): Promise<void> {
    return this.connection.publish(this.topics.state(this.deviceId), payload, { qos: this.options.qos.state, retain: true });
  }

  private stateMessage(snapshot: StateSnapshot): string {
    const message: DeviceStateMessage = {
      device_id: this.deviceId,
      state: snapshot.state,
      version: snapshot.version,
      timestamp: snapshot.timestamp,
    };
    return encodePayload(message, this.options.maxPayloadBytes, 'state message');
  }

  private connectionMessage(status: 'online' | 'offline', reason?: OfflineReason): ConnectionMessage {
    return { device_id: this.deviceId, status, timestamp: this.clock.now(), ...(reason ? { reason } : {}) };
  }

  private publishConnection(status: 'online' | 'offline', reason?: OfflineReason): Promise<void> {
    return this.connection.publish(this.topics.connection(this.deviceId), JSON.stringify(this.connectionMessage(status, reason)), {
      qos: this.options.qos.connection,
      retain: true,
    });
  }

  private onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void {
    if (topic === this.commandsTopic) this.onCommand(payload, packet);
    else if (topic === this.desiredTopic) this.onDesired(payload);
  }

  private onCommand(payload: Uint8Array, packet: IPublishPacket): void {
    if (packet.retain) {
      // A retained command would run again on every reconnect; refuse it rather than guess.
      this.logger.warn({ topic: packet.topic }, 'ignoring a retained command (publish commands without the retain flag)');
      return;
    }
    const properties = packet.properties;
    const context: MqttCommandContext = {
      ...(properties?.responseTopic ? { responseTopic: properties.responseTopic } : {}),
      ...(properties?.correlationData ? { correlationData: new Uint8Array(properties.correlationData) } : {}),
    };
    // Core refuses a payload too large to parse and still finds its command_id to address the refusal.
    this.commandsSubject.next({ payload, context });
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
    this.desiredSubject.next({ patch });
  }

  private reportOutbox(): void {
    this.connection.setOutbox(this.outbox.stats());
  }
}
