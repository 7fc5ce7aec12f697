import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { Observable } from 'rxjs';
import {
  ConnectionStatusKeeper,
  ReconnectSchedule,
  toErrorObject,
  TransportError,
  type Clock,
  type ConnectionStatus,
  type Logger,
  type RetryPolicy,
} from '../../core/index.js';
import { toCrtError } from './crt-errors.js';
import { PublishRateLimiter } from './publish-rate-limiter.js';

/**
 * One aws-iot-device-sdk-v2 (aws-crt, MQTT 3.1.1) connection kept up by our RetryPolicy.
 *
 * Why not the SDK's own reconnect: it waits without jitter, and after a reconnect that did not
 * resume the session (`session_present: false`) its subscriptions are silently gone, the
 * most-reported bug of the v2 SDK, reproduced against our emulator. So when a connection is
 * interrupted we disconnect it (which stops the SDK's reconnect), wait what the policy says,
 * and open a fresh connection; after every connect we subscribe to every wanted filter again
 * (idempotent for the broker) before the `onConnected` hook runs.
 */

export interface CrtConnectionSettings {
  /** Host name of the endpoint (IOT_ENDPOINT). */
  readonly endpoint: string;
  readonly port: number;
  readonly certPath: string;
  readonly keyPath: string;
  /** Root CA (IOT_ROOT_CA_PATH); the system trust store when absent. */
  readonly caPath?: string;
  readonly clientId: string;
  readonly keepAliveSeconds: number;
  /** False asks the broker to keep the session (AWS keeps it an hour), so QoS 1 messages wait for us. */
  readonly cleanSession: boolean;
  /** How long a QoS 1 publish, subscribe or connect may wait for its acknowledgement. */
  readonly operationTimeoutMs: number;
  /** The last will, evaluated before every connect so its timestamp is fresh. */
  readonly will?: () => { readonly topic: string; readonly payload: string; readonly qos: 0 | 1; readonly retain: boolean };
}

export interface CrtConnectionHooks {
  /** After every connect, once subscriptions are restored and before the status turns online. */
  onConnected?(session: { readonly sessionPresent: boolean; readonly first: boolean }): Promise<void>;
  /** When a connection is lost (not on stop()). */
  onDisconnected?(): void;
  onMessage(topic: string, payload: Uint8Array, retain: boolean): void;
}

export interface CrtConnectionDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Publishes per second over this connection (AWS IoT discards what exceeds 100). */
  readonly maxPublishesPerSecond: number;
}

const STOP_TIMEOUT_MS = 5_000;

interface Live {
  readonly connection: mqtt.MqttClientConnection;
  /** Rejects when this connection is lost, so in-flight operations do not wait for a resend. */
  readonly lost: Promise<never>;
}

export class CrtConnection {
  private readonly status: ConnectionStatusKeeper;
  private readonly reconnect: ReconnectSchedule;
  readonly status$: Observable<ConnectionStatus>;

  private readonly subscriptions = new Map<string, 0 | 1>();
  private readonly limiter: PublishRateLimiter;
  private client: mqtt.MqttClient | undefined;
  private live: Live | undefined;
  private connectedOnce = false;
  private isOnline = false;
  private generation = 0;
  private firstAttempt: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Set once the goodbye is sent: nothing else goes out. (stop() publishes before it is set.) */
  private closed = false;

  constructor(
    private readonly settings: CrtConnectionSettings,
    private readonly hooks: CrtConnectionHooks,
    private readonly deps: CrtConnectionDeps,
  ) {
    this.limiter = new PublishRateLimiter(deps.maxPublishesPerSecond, deps.clock);
    this.status = new ConnectionStatusKeeper(deps.clock, sameStatus);
    this.status$ = this.status.status$;
    this.reconnect = new ReconnectSchedule(deps.retryPolicy, deps.clock);
  }

  /** True from a completed onConnected hook until the connection is lost. */
  get online(): boolean {
    return this.isOnline;
  }

  /** True while a connection is up (the onConnected hook may still be running). */
  get connected(): boolean {
    return this.live !== undefined;
  }

  /**
   * Connects; resolves once the first attempt has settled (online, or failed and retrying).
   * The owner handles its start signal (it has a goodbye to say first; see stop()).
   */
  start(): Promise<void> {
    if (this.client || this.stopping) return Promise.resolve();
    this.client = new mqtt.MqttClient();
    const settled = new Promise<void>((resolve) => (this.firstAttempt = resolve));
    void this.attempt();
    return settled;
  }

  /** Runs `beforeEnd` while still connected (a goodbye), then disconnects cleanly. Idempotent. */
  stop(beforeEnd?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.close(beforeEnd);
    return this.stopping;
  }

  /** Filters to keep subscribed across every reconnect; subscribes now when connected. */
  async subscribe(filters: readonly string[], qos: 0 | 1): Promise<void> {
    for (const filter of filters) this.subscriptions.set(filter, qos);
    const live = this.live;
    if (live) await this.subscribeOn(live, filters.map((filter) => [filter, qos] as const));
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    for (const filter of filters) this.subscriptions.delete(filter);
    const live = this.live;
    if (!live) return;
    await Promise.all(filters.map((filter) => this.guard(live, live.connection.unsubscribe(filter), `unsubscribe from ${filter}`)));
  }

  /** Publishes while connected, after the rate limiter allows it; QoS 1 resolves on PUBACK. */
  async publish(topic: string, payload: string, qos: 0 | 1, retain = false): Promise<void> {
    await this.limiter.acquire();
    const live = this.live;
    if (!live || this.closed) throw new TransportError('unavailable', 'AWS IoT connection is not up');
    const qosLevel = qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
    await this.guard(live, live.connection.publish(topic, payload, qosLevel, retain), `publish to ${topic}`);
  }

  /** Reports outbox counters in the status. */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.status.setOutbox(outbox);
  }

  private async attempt(): Promise<void> {
    if (this.stopping || !this.client) return;
    const generation = ++this.generation;
    this.status.set('connecting', this.status.current.error);
    let connection: mqtt.MqttClientConnection;
    try {
      connection = this.client.new_connection(this.buildConfig());
    } catch (error) {
      this.failed(toCrtError(error, 'cannot set up the TLS connection'));
      return;
    }
    let onLost!: (error: unknown) => void;
    const lost = new Promise<never>((_, reject) => (onLost = reject));
    lost.catch(() => undefined);
    const live: Live = { connection, lost };
    connection.on('interrupt', (error) => {
      onLost(new TransportError('unavailable', `AWS IoT connection lost: ${error.message}`));
      if (this.live === live) this.onInterrupted(live, error);
    });
    connection.on('message', (topic, payload, _dup, _qos, retain) => {
      if (this.live === live) this.hooks.onMessage(topic, new Uint8Array(payload), retain);
    });

    let sessionPresent: boolean;
    try {
      sessionPresent = await connection.connect();
    } catch (error) {
      releaseFailed(connection);
      if (generation === this.generation && !this.stopping) {
        this.failed(toCrtError(error, `cannot connect to ${this.settings.endpoint}:${this.settings.port}`));
      }
      return;
    }
    if (this.stopping || generation !== this.generation) {
      await this.release(connection);
      return;
    }

    this.live = live;
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    try {
      await this.subscribeOn(live, [...this.subscriptions]);
      await this.hooks.onConnected?.({ sessionPresent, first });
    } catch (error) {
      if (this.live !== live) return; // lost meanwhile; onInterrupted took care of it
      this.deps.logger.error({ err: toErrorObject(error) }, 'AWS IoT session setup failed after connect; reconnecting');
      this.live = undefined;
      await this.release(connection);
      this.failed(error);
      return;
    }
    if (this.live !== live || this.stopping) return;
    this.reconnect.succeeded();
    this.isOnline = true;
    this.status.set('online', undefined);
    this.deps.logger.info({ endpoint: this.settings.endpoint, clientId: this.settings.clientId }, 'AWS IoT connected');
    this.settleFirstAttempt();
  }

  private onInterrupted(live: Live, error: Error): void {
    this.live = undefined;
    this.isOnline = false;
    this.hooks.onDisconnected?.();
    // Stops the SDK's own reconnect; ours follows the retry policy with a fresh connection.
    void this.release(live.connection);
    if (!this.stopping) this.failed(toCrtError(error, 'AWS IoT connection lost'));
  }

  private failed(error: unknown): void {
    const errorObject = toErrorObject(error, 'transport_failed');
    const delay = this.reconnect.failed(error, false, () => void this.attempt());
    if (delay === undefined) this.deps.logger.error({ err: errorObject }, 'AWS IoT connection refused; not retrying');
    else this.deps.logger.warn({ err: errorObject, retryInMs: delay, attempt: this.reconnect.attempts }, 'AWS IoT not connected; retrying');
    this.status.set('offline', errorObject);
    this.settleFirstAttempt();
  }

  private async subscribeOn(live: Live, filters: readonly (readonly [string, 0 | 1])[]): Promise<void> {
    await Promise.all(
      filters.map(async ([filter, qos]) => {
        const level = qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
        const grant = await this.guard(live, live.connection.subscribe(filter, level), `subscribe to ${filter}`);
        // A SUBACK failure (0x80) arrives as a granted QoS of 128.
        if ((grant.qos as number) === 128) throw new TransportError('transport_failed', `AWS IoT refused the subscription to ${filter}`);
      }),
    );
  }

  /** Races an SDK operation against the loss of its connection, mapping its string rejections. */
  private async guard<T>(live: Live, operation: Promise<T>, what: string): Promise<T> {
    // Once the loss wins the race, the operation's own late rejection has no one to hear it.
    operation.catch(() => undefined);
    try {
      return await Promise.race([operation, live.lost]);
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw toCrtError(error, `cannot ${what}`);
    }
  }

  private buildConfig(): mqtt.MqttConnectionConfig {
    const { settings } = this;
    let builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(settings.certPath, settings.keyPath)
      .with_endpoint(settings.endpoint)
      .with_port(settings.port)
      .with_client_id(settings.clientId)
      .with_clean_session(settings.cleanSession)
      .with_keep_alive_seconds(settings.keepAliveSeconds)
      .with_ping_timeout_ms(Math.min(settings.operationTimeoutMs, settings.keepAliveSeconds * 500))
      .with_protocol_operation_timeout_ms(settings.operationTimeoutMs);
    if (settings.caPath) builder = builder.with_certificate_authority_from_path(undefined, settings.caPath);
    if (settings.will) {
      const { topic, payload, qos, retain } = settings.will();
      builder = builder.with_will(new mqtt.MqttWill(topic, qos === 1 ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce, payload, retain));
    }
    return builder.build();
  }

  /** Disconnects a connection that was up (DISCONNECT, so no will), bounded in time. */
  private async release(connection: mqtt.MqttClientConnection): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, STOP_TIMEOUT_MS)));
    try {
      await Promise.race([connection.disconnect(), timeout]);
    } catch (error) {
      this.deps.logger.debug({ err: String(error) }, 'AWS IoT disconnect failed');
    } finally {
      timer?.cancel();
    }
  }

  private async close(beforeEnd?: () => Promise<void>): Promise<void> {
    this.reconnect.cancel();
    const live = this.live;
    if (live && this.isOnline && beforeEnd) {
      try {
        await beforeEnd();
      } catch (error) {
        this.deps.logger.warn({ err: toErrorObject(error) }, 'AWS IoT goodbye not sent');
      }
    }
    this.closed = true;
    this.generation++;
    this.live = undefined;
    this.isOnline = false;
    this.limiter.cancelAll();
    if (live) await this.release(live.connection);
    this.status.set('closed', undefined);
    this.settleFirstAttempt();
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.();
    this.firstAttempt = undefined;
  }
}

/**
 * A connection whose CONNECT failed never opened, so `disconnect()` refuses it
 * (AWS_ERROR_MQTT_NOT_CONNECTED) and its native side is never freed through the usual 'closed'
 * path; `close()` (untyped, public in the JS) releases it.
 */
function releaseFailed(connection: mqtt.MqttClientConnection): void {
  try {
    (connection as unknown as { close(): void }).close();
  } catch {
    // already released by the SDK
  }
}

/** This connection's notion of a repeat, unlike core's sameStatus: `since` is not compared (it changes only with `state`), nor the error code. */
function sameStatus(a: ConnectionStatus, b: ConnectionStatus): boolean {
  return (
    a.state === b.state &&
    a.error?.message === b.error?.message &&
    a.outbox?.queued === b.outbox?.queued &&
    a.outbox?.dropped === b.outbox?.dropped
  );
}
