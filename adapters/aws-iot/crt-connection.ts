import type { mqtt } from 'aws-iot-device-sdk-v2';
import {
  AmoraError,
  ConfigError,
  RateLimiter,
  ReconnectingLink,
  TransportError,
  type ConnectionStatus,
  type LinkSession,
} from '../../core/index.js';
import { publishLimiter, type AwsLink, type AwsLinkDeps, type AwsLinkHooks, type AwsLinkSettings } from './aws-link.js';
import { toCrtError } from './crt-errors.js';

/**
 * One aws-iot-device-sdk-v2 (aws-crt, MQTT 3.1.1) connection kept up by core's ReconnectingLink.
 *
 * Why not the SDK's own reconnect: it waits without jitter, and after a reconnect that did not
 * resume the session (`session_present: false`) its subscriptions are silently gone, the
 * most-reported bug of the v2 SDK, reproduced against our emulator. So when a connection is
 * interrupted we disconnect it (which stops the SDK's reconnect), wait what the policy says,
 * and open a fresh connection; after every connect we subscribe to every wanted filter again
 * (idempotent for the broker) before the `onConnected` hook runs.
 *
 * The `sdk` link: the SDK (and aws-crt's native binary) is an optional package, loaded by start(),
 * so the default `mqtt` link runs without it installed.
 */

type Sdk = typeof import('aws-iot-device-sdk-v2');

const SDK_PACKAGE = 'aws-iot-device-sdk-v2';

/** Loads the SDK once; a missing package is a clear error naming what to install. */
async function loadSdk(): Promise<Sdk> {
  try {
    return await import('aws-iot-device-sdk-v2');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigError(`aws-iot link "sdk" needs the package "${SDK_PACKAGE}", which is not installed: run \`npm install ${SDK_PACKAGE}\` (or use link "mqtt")`, {
      cause: error,
      details: { path: 'link', missing: SDK_PACKAGE },
    });
  }
}

const STOP_TIMEOUT_MS = 5_000;

interface Live {
  readonly connection: mqtt.MqttClientConnection;
  /** Rejects when this connection is lost, so in-flight operations do not wait for a resend. */
  readonly lost: Promise<never>;
}

export class CrtConnection extends ReconnectingLink implements AwsLink {
  private readonly subscriptions = new Map<string, 0 | 1>();
  /** Filters whose refusal (a policy without them) is logged, not a failed connection. */
  private readonly optional = new Map<string, 0 | 1>();
  /** Core's token bucket: AWS IoT discards what a connection publishes beyond its rate. */
  private readonly limiter: RateLimiter<() => Promise<void>>;
  private client: mqtt.MqttClient | undefined;
  private live: Live | undefined;
  /** A connection whose CONNECT is in flight (stop() must end it too). */
  private pending: mqtt.MqttClientConnection | undefined;
  private sdk: Sdk | undefined;

  constructor(
    private readonly settings: AwsLinkSettings,
    private readonly hooks: AwsLinkHooks,
    deps: AwsLinkDeps,
  ) {
    super({ name: 'AWS IoT', endpoints: [`${settings.endpoint}:${settings.port}`], setupFailure: 'reconnect', sameStatus }, deps);
    this.limiter = publishLimiter(deps);
  }

  /** Loads the SDK first: without it installed, start() fails saying what to install. */
  override async start(signal: AbortSignal): Promise<void> {
    this.sdk ??= await loadSdk();
    return super.start(signal);
  }

  /** Filters to keep subscribed across every reconnect; subscribes now when connected. */
  async subscribe(filters: readonly string[], qos: 0 | 1): Promise<void> {
    for (const filter of filters) this.subscriptions.set(filter, qos);
    const live = this.live;
    if (live) await this.subscribeOn(live, filters.map((filter) => [filter, qos] as const));
  }

  /** Like subscribe(), for a feature the device can do without: a refusal is logged only. */
  async subscribeOptional(filters: readonly string[], qos: 0 | 1): Promise<void> {
    for (const filter of filters) this.optional.set(filter, qos);
    const live = this.live;
    if (live) await this.subscribeOptionalOn(live, filters.map((filter) => [filter, qos] as const));
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    for (const filter of filters) {
      this.subscriptions.delete(filter);
      this.optional.delete(filter);
    }
    const live = this.live;
    if (!live) return;
    await Promise.all(filters.map((filter) => this.guard(live, live.connection.unsubscribe(filter), `unsubscribe from ${filter}`)));
  }

  /** Publishes while connected, after the rate limiter allows it; QoS 1 resolves on PUBACK. */
  publish(topic: string, payload: string, qos: 0 | 1, retain = false): Promise<void> {
    return this.limiter.submit(async () => {
      const live = this.live;
      if (!live || this.closing) throw new TransportError('unavailable', 'AWS IoT connection is not up');
      const { QoS } = this.sdk!.mqtt;
      const qosLevel = qos === 1 ? QoS.AtLeastOnce : QoS.AtMostOnce;
      await this.guard(live, live.connection.publish(topic, payload, qosLevel, retain), `publish to ${topic}`);
    });
  }

  protected async open(_endpoint: string, lost: (error: unknown) => void): Promise<{ sessionPresent: boolean }> {
    const sdk = this.sdk!;
    this.client ??= new sdk.mqtt.MqttClient();
    let connection: mqtt.MqttClientConnection;
    try {
      // Reads the certificate files: one that vanished fails this attempt, and the next retries.
      connection = this.client.new_connection(this.buildConfig(sdk));
    } catch (error) {
      throw toCrtError(error, 'cannot set up the TLS connection');
    }
    let onLost!: (error: unknown) => void;
    const lostPromise = new Promise<never>((_, reject) => (onLost = reject));
    lostPromise.catch(() => undefined);
    const live: Live = { connection, lost: lostPromise };
    connection.on('interrupt', (error) => {
      onLost(new TransportError('unavailable', `AWS IoT connection lost: ${error.message}`));
      if (this.live === live) lost(toCrtError(error, 'AWS IoT connection lost'));
    });
    connection.on('message', (topic, payload, _dup, _qos, retain) => {
      if (this.live === live) this.hooks.onMessage(topic, new Uint8Array(payload), retain);
    });
    this.pending = connection;
    let sessionPresent: boolean;
    try {
      sessionPresent = await connection.connect();
    } catch (error) {
      releaseFailed(connection);
      throw toCrtError(error, `cannot connect to ${this.settings.endpoint}:${this.settings.port}`);
    } finally {
      if (this.pending === connection) this.pending = undefined;
    }
    if (this.stopRequested) {
      await this.disconnect(connection);
      throw new TransportError('closed', 'stopped while connecting');
    }
    this.live = live;
    try {
      // After every connect, whether or not the session survived (see above).
      await this.subscribeOn(live, [...this.subscriptions]);
      await this.subscribeOptionalOn(live, [...this.optional]);
    } catch (error) {
      if (this.live === live) this.live = undefined;
      await this.disconnect(connection);
      throw error;
    }
    return { sessionPresent };
  }

  protected override setUp(session: LinkSession): Promise<void> {
    return this.hooks.onConnected?.(session) ?? Promise.resolve();
  }

  protected override onDisconnected(): void {
    this.hooks.onDisconnected?.();
  }

  protected describeFailure(error: unknown, endpoint: string, lost: boolean): AmoraError {
    if (error instanceof AmoraError) return error;
    return toCrtError(error, lost ? 'AWS IoT connection lost' : `cannot connect to ${endpoint}`);
  }

  /** Drops a lost connection: stops the SDK's own reconnect; ours follows the policy with a fresh one. */
  protected async release(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    if (live) await this.disconnect(live.connection);
  }

  protected async shutdown(): Promise<void> {
    this.limiter.close();
    const pending = this.pending;
    this.pending = undefined;
    await Promise.all([this.release(), pending ? this.disconnect(pending) : Promise.resolve()]);
  }

  private async subscribeOn(live: Live, filters: readonly (readonly [string, 0 | 1])[]): Promise<void> {
    await Promise.all(
      filters.map(async ([filter, qos]) => {
        const { QoS } = this.sdk!.mqtt;
        const level = qos === 1 ? QoS.AtLeastOnce : QoS.AtMostOnce;
        const grant = await this.guard(live, live.connection.subscribe(filter, level), `subscribe to ${filter}`);
        // A SUBACK failure (0x80) arrives as a granted QoS of 128.
        if ((grant.qos as number) === 128) throw new TransportError('transport_failed', `AWS IoT refused the subscription to ${filter}`);
      }),
    );
  }

  private async subscribeOptionalOn(live: Live, filters: readonly (readonly [string, 0 | 1])[]): Promise<void> {
    try {
      await this.subscribeOn(live, filters);
    } catch (error) {
      if (this.live !== live) throw error;
      this.logger.warn({ err: { message: (error as Error).message } }, 'AWS IoT refused an optional subscription; going on without it');
    }
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

  private buildConfig({ iot, mqtt }: Sdk): mqtt.MqttConnectionConfig {
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
  private async disconnect(connection: mqtt.MqttClientConnection): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, STOP_TIMEOUT_MS)));
    try {
      await Promise.race([connection.disconnect(), timeout]);
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'AWS IoT disconnect failed');
    } finally {
      timer?.cancel();
    }
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
