import mqtt, { type IClientOptions, type IClientPublishOptions, type IConnackPacket, type IPublishPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { Observable } from 'rxjs';
import type { Clock } from '../../core/clock.js';
import { toErrorObject, TransportError, type ErrorObject } from '../../core/errors.js';
import type { Logger } from '../../core/logging/logger.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import { ConnectionStatusKeeper } from '../../core/transport/connection-status-keeper.js';
import { ReconnectSchedule } from '../../core/transport/reconnect-schedule.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';
import { isThrottled, redactUrl, toConnectionError } from './connect-errors.js';
import type { ResolvedTls } from './tls.js';

/**
 * One mqtt.js client kept connected by our RetryPolicy (mqtt.js itself only knows a fixed
 * `reconnectPeriod`, so it gets 0 and we call `connect()` again). Shared by the device and the
 * controller transport; they add their protocol on top through the hooks.
 */

/** What the connection needs to know; built from the kind's options by each transport. */
export interface MqttConnectionSettings {
  readonly url: string;
  readonly clientId: string;
  readonly protocolVersion: 4 | 5;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  /** False keeps a persistent session, so QoS 1 messages queued while offline still arrive. */
  readonly clean: boolean;
  /** MQTT 5: how long the broker keeps a non-clean session after a disconnect. */
  readonly sessionExpirySeconds?: number;
  readonly username?: string;
  readonly password?: string;
  /** The last will, evaluated before every connect so its timestamp is fresh. */
  readonly will?: () => { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean };
}

export interface MqttConnectionHooks {
  /** After every accepted CONNACK and before the status turns online (resubscribe, resync). */
  onConnected?(session: { readonly sessionPresent: boolean; readonly first: boolean }): Promise<void>;
  /** When a connection (or an attempt) ends for any reason other than stop(). */
  onDisconnected?(): void;
  onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void;
}

export interface MqttConnectionDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

const STOP_TIMEOUT_MS = 5_000;

export class MqttConnection {
  private readonly status: ConnectionStatusKeeper;
  private readonly reconnect: ReconnectSchedule;
  /** Current status; repeats such as connecting → connecting are hidden. */
  readonly status$: Observable<ConnectionStatus>;

  private client: MqttClient | undefined;
  private tls: ResolvedTls | undefined;
  private version: 4 | 5;
  private lastError: unknown;
  private connectedOnce = false;
  /** Bumped on every attempt, so a slow onConnected hook of an older connection gives up. */
  private generation = 0;
  private isOnline = false;
  private stopping: Promise<void> | undefined;
  /** Set once the goodbye is sent: nothing more may be published. */
  private closing = false;
  private firstAttempt: { resolve(): void } | undefined;

  constructor(
    private readonly settings: MqttConnectionSettings,
    private readonly hooks: MqttConnectionHooks,
    private readonly deps: MqttConnectionDeps,
  ) {
    this.status = new ConnectionStatusKeeper(deps.clock);
    this.status$ = this.status.status$;
    this.reconnect = new ReconnectSchedule(deps.retryPolicy, deps.clock);
    this.version = settings.protocolVersion;
  }

  /** The MQTT version in use: 5 unless configured 4 or the broker only speaks 3.1.1 (aedes). */
  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  /** True between a completed onConnected hook and the next loss of the connection. */
  get online(): boolean {
    return this.isOnline;
  }

  /** The broker accepted us and the socket is open (onConnected may still be running). */
  get connected(): boolean {
    return this.client?.connected === true;
  }

  /**
   * Connects; resolves once the first attempt has settled (online, or failed and retrying).
   * `tls` is resolved by the caller first (reading files is Node-only and asynchronous).
   */
  start(signal: AbortSignal, tls?: ResolvedTls): Promise<void> {
    if (this.client || this.stopping) return Promise.resolve();
    // An abort while the first attempt is pending cancels the start; later, the owner's stop()
    // follows (the lifecycle aborts its signal on stop) and says goodbye properly.
    signal.addEventListener('abort', () => void (this.firstAttempt && this.stop()), { once: true });
    const settled = new Promise<void>((resolve) => (this.firstAttempt = { resolve }));
    this.tls = tls;
    this.client = this.createClient();
    this.attempt();
    return settled;
  }

  /**
   * Runs `beforeEnd` while still connected (e.g. a graceful offline message), then disconnects
   * cleanly, waiting for in-flight QoS 1 messages. Idempotent.
   */
  stop(beforeEnd?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.close(beforeEnd);
    return this.stopping;
  }

  /** Publishes while connected. Resolves on PUBACK (QoS 1/2) or once written (QoS 0). */
  publish(topic: string, payload: string | Uint8Array, options: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client || !client.connected || this.closing) {
      return Promise.reject(new TransportError('unavailable', 'MQTT client is not connected'));
    }
    return new Promise<void>((resolve, reject) => {
      // A loss before the PUBACK: mqtt.js keeps a copy for resending after a reconnect, but only
      // in memory, which a power cut or kill -9 loses. Rejecting lets the caller queue the message
      // in its (persistent) outbox; if both copies arrive, the duplicate is QoS 1's own.
      const onClose = (): void => reject(new TransportError('unavailable', `connection lost before the broker acknowledged ${topic}`));
      client.once('close', onClose);
      client.publish(topic, payload as Buffer | string, options, (error) => {
        client.removeListener('close', onClose);
        if (error) reject(new TransportError('transport_failed', `publish to ${topic} failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  /** Subscribes; refuses with a TransportError when the broker denies any filter. */
  async subscribe(filters: Readonly<Record<string, { qos: 0 | 1 | 2 }>>): Promise<void> {
    const client = this.requireClient();
    const grants: ISubscriptionGrant[] = await client.subscribeAsync({ ...filters });
    const denied = grants.filter((grant) => grant.qos >= 128).map((grant) => grant.topic);
    if (denied.length > 0) {
      throw new TransportError('transport_failed', `broker denied subscription to ${denied.join(', ')}`, { details: { topics: denied } });
    }
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    if (this.client?.connected) await this.client.unsubscribeAsync([...filters]);
  }

  /** Reports outbox counters in the status (they belong to the connection's health). */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.status.setOutbox(outbox);
  }

  /** Destroys the socket without DISCONNECT, as a network failure would (tests, chaos drills). */
  interrupt(): void {
    this.client?.stream?.destroy();
  }

  private createClient(): MqttClient {
    const { settings } = this;
    const options: IClientOptions = {
      clientId: settings.clientId,
      protocolVersion: this.version,
      clean: settings.clean,
      keepalive: settings.keepaliveSeconds,
      connectTimeout: settings.connectTimeoutMs,
      reconnectPeriod: 0,
      manualConnect: true,
      // We resubscribe ourselves when the session is gone, after our own hook logic.
      resubscribe: false,
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(this.version === 5 && !settings.clean
        ? { properties: { sessionExpiryInterval: settings.sessionExpirySeconds ?? 0 } }
        : {}),
      ...this.tls,
    };
    const client = mqtt.connect(settings.url, options);
    // Events of a client replaced after a protocol fallback are ignored.
    client.on('connect', (connack) => void (client === this.client && this.onConnect(client, connack)));
    client.on('close', () => client === this.client && this.onClose());
    client.on('error', (error) => {
      if (client === this.client) this.lastError = error;
    });
    client.on('disconnect', (packet) => {
      if (client !== this.client) return;
      this.lastError = new TransportError('unavailable', `broker disconnected us (reason code ${packet.reasonCode ?? 0})`, {
        details: { reasonCode: packet.reasonCode },
      });
    });
    client.on('message', (topic, payload, packet) => client === this.client && this.hooks.onMessage(topic, payload, packet));
    return client;
  }

  private attempt(): void {
    const client = this.client;
    if (!client || this.stopping) return;
    this.generation++;
    this.status.set('connecting', this.status.current.error);
    const will = this.settings.will?.();
    if (will) client.options.will = will;
    client.connect();
    // mqtt.js never sets TCP_NODELAY; without it small QoS 1 exchanges wait on Nagle + delayed ACK.
    // net/tls sockets accept it before they connect; WebSocket streams (ws sets it itself) lack it.
    (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
  }

  private async onConnect(client: MqttClient, connack: IConnackPacket): Promise<void> {
    const generation = this.generation;
    const current = (): boolean => client.connected && generation === this.generation && !this.stopping;
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    this.reconnect.succeeded();
    this.lastError = undefined;
    let hookError: ErrorObject | undefined;
    try {
      await this.hooks.onConnected?.({ sessionPresent: connack.sessionPresent, first });
    } catch (error) {
      if (!current()) return; // lost again meanwhile; onClose reports it
      hookError = toErrorObject(error, 'transport_failed');
      this.deps.logger.error({ err: hookError }, 'MQTT session setup failed after connect');
    }
    if (!current()) return;
    this.isOnline = true;
    this.status.set('online', hookError);
    this.deps.logger.info({ url: redactUrl(this.settings.url), clientId: this.settings.clientId }, 'MQTT connected');
    this.settleFirstAttempt();
  }

  private onClose(): void {
    if (this.stopping) return;
    const wasOnline = this.isOnline;
    this.isOnline = false;
    this.hooks.onDisconnected?.();
    if (this.version === 5 && isProtocolRefusal(this.lastError)) {
      // A 3.1.1-only broker (aedes): speak 3.1.1 from now on, right away. Features that need
      // MQTT 5 (response topics, correlation data) fall back to the per-device topics.
      this.deps.logger.info({ url: redactUrl(this.settings.url) }, 'broker does not speak MQTT 5; using MQTT 3.1.1');
      this.version = 4;
      this.lastError = undefined;
      this.client?.end(true);
      this.client = this.createClient();
      this.attempt();
      return;
    }
    const error = toConnectionError(this.lastError, this.settings.url, wasOnline);
    this.lastError = undefined;
    this.status.set('offline', error.toJSON());
    this.settleFirstAttempt();
    const delay = this.reconnect.failed(error, isThrottled(error), () => this.attempt());
    if (delay === undefined) {
      this.deps.logger.error({ err: error.toJSON() }, 'MQTT connection refused; not retrying');
      return;
    }
    this.deps.logger[wasOnline ? 'warn' : 'debug'](
      { err: error.toJSON(), retryInMs: delay, attempt: this.reconnect.attempts },
      'MQTT offline; reconnecting',
    );
  }

  private async close(beforeEnd?: () => Promise<void>): Promise<void> {
    this.reconnect.cancel();
    const client = this.client;
    if (client?.connected && beforeEnd) {
      try {
        await beforeEnd();
      } catch (error) {
        this.deps.logger.warn({ err: toErrorObject(error, 'transport_failed') }, 'MQTT graceful goodbye failed');
      }
    }
    this.closing = true;
    this.isOnline = false;
    if (client) {
      // Clean DISCONNECT (the broker then discards the will) once in-flight messages are acked;
      // forced if the broker does not answer in time.
      const force = !client.connected;
      const timer = setTimeout(() => client.end(true), STOP_TIMEOUT_MS);
      await client.endAsync(force).catch(() => undefined);
      clearTimeout(timer);
    }
    this.status.set('closed', undefined);
    this.settleFirstAttempt();
  }

  private requireClient(): MqttClient {
    if (!this.client?.connected) throw new TransportError('unavailable', 'MQTT client is not connected');
    return this.client;
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.resolve();
    this.firstAttempt = undefined;
  }
}

/** CONNACK "unacceptable protocol version" (3.1.1 code 1, as a 3.1.1 broker answers) or 5.0 code 132. */
function isProtocolRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 1 || code === 132;
}
