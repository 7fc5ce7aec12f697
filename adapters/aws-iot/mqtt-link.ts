import { readFile } from 'node:fs/promises';
import {
  AmoraError,
  AuthenticationError,
  RateLimiter,
  TransportError,
  type ConnectionStatus,
} from '../../core/index.js';
import { MqttConnection, type ResolvedTls } from '../../core/mqtt.js';
import { AWS_MQTT_ALPN, CONNECT_HINTS, publishLimiter, type AwsLink, type AwsLinkDeps, type AwsLinkHooks, type AwsLinkSettings } from './aws-link.js';

/**
 * The `mqtt` link: AWS IoT Core is plain MQTT 3.1.1 over mutual TLS, so mqtt.js speaks it through
 * core's MqttConnection, with TCP_NODELAY on its socket: a QoS 1 exchange is not held back by
 * Nagle's algorithm as it is on aws-crt's sockets (44 ms per command round trip). The client id is
 * the thing name unless configured; on port 443 the handshake offers ALPN `x-amzn-mqtt-ca`.
 *
 * As on the sdk link, every wanted filter is subscribed again after every connect, before the
 * `onConnected` hook runs (a refused one drops the connection and retries), and publishes pass
 * AWS's per-connection rate limit.
 */
export class AwsMqttLink implements AwsLink {
  readonly status$;
  private readonly connection: MqttConnection;
  private readonly subscriptions = new Map<string, 0 | 1>();
  /** Filters whose refusal (a policy without them) is logged, not a failed connection. */
  private readonly optional = new Map<string, 0 | 1>();
  private readonly limiter: RateLimiter<() => Promise<void>>;
  private readonly logger;

  constructor(settings: AwsLinkSettings, hooks: AwsLinkHooks, deps: AwsLinkDeps) {
    this.logger = deps.logger;
    this.connection = new MqttConnection(
      {
        name: 'AWS IoT',
        urls: [`mqtts://${settings.endpoint}:${settings.port}`],
        clientId: settings.clientId,
        // AWS IoT Core's MQTT 3.1.1, the protocol both links speak.
        protocolVersion: 4,
        keepaliveSeconds: settings.keepAliveSeconds,
        connectTimeoutMs: settings.operationTimeoutMs,
        clean: settings.cleanSession,
        setupFailure: 'reconnect',
        ...(settings.will ? { will: settings.will } : {}),
        tls: () => readTls(settings),
        describeFailure: (error, _url, lost) =>
          describeFailure(error, lost ? 'AWS IoT connection lost' : `cannot connect to ${settings.endpoint}:${settings.port}`),
      },
      {
        onConnected: async (session) => {
          await this.restoreSubscriptions();
          await hooks.onConnected?.(session);
        },
        onDisconnected: () => hooks.onDisconnected?.(),
        onMessage: (topic, payload, packet) => hooks.onMessage(topic, payload, packet.retain),
      },
      deps,
    );
    this.status$ = this.connection.status$;
    this.limiter = publishLimiter(deps);
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  get online(): boolean {
    return this.connection.online;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.connection.start(signal);
  }

  async stop(beforeEnd?: () => Promise<void>): Promise<void> {
    await this.connection.stop(beforeEnd);
    this.limiter.close();
  }

  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.connection.setOutbox(outbox);
  }

  async subscribe(filters: readonly string[], qos: 0 | 1): Promise<void> {
    for (const filter of filters) this.subscriptions.set(filter, qos);
    if (this.connection.connected) await this.connection.subscribe(Object.fromEntries(filters.map((filter) => [filter, { qos }])));
  }

  async subscribeOptional(filters: readonly string[], qos: 0 | 1): Promise<void> {
    for (const filter of filters) this.optional.set(filter, qos);
    if (this.connection.connected) await this.subscribeOptionalNow(filters.map((filter) => [filter, qos] as const));
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    for (const filter of filters) {
      this.subscriptions.delete(filter);
      this.optional.delete(filter);
    }
    await this.connection.unsubscribe(filters);
  }

  publish(topic: string, payload: string, qos: 0 | 1, retain = false): Promise<void> {
    return this.limiter.submit(() => this.connection.publish(topic, payload, { qos, retain }));
  }

  private async restoreSubscriptions(): Promise<void> {
    if (this.subscriptions.size > 0) {
      await this.connection.subscribe(Object.fromEntries([...this.subscriptions].map(([filter, qos]) => [filter, { qos }])));
    }
    await this.subscribeOptionalNow([...this.optional]);
  }

  private async subscribeOptionalNow(filters: readonly (readonly [string, 0 | 1])[]): Promise<void> {
    if (filters.length === 0) return;
    try {
      await this.connection.subscribe(Object.fromEntries(filters.map(([filter, qos]) => [filter, { qos }])));
    } catch (error) {
      if (!this.connection.connected) throw error;
      this.logger.warn({ err: { message: (error as Error).message } }, 'AWS IoT refused an optional subscription; going on without it');
    }
  }
}

/** The certificate, key and CA read afresh for every attempt (a renewed certificate is picked up). */
async function readTls(settings: AwsLinkSettings): Promise<ResolvedTls> {
  const [cert, key, ca] = await Promise.all([
    readFile(settings.certPath, 'utf8'),
    readFile(settings.keyPath, 'utf8'),
    settings.caPath === undefined ? undefined : readFile(settings.caPath, 'utf8'),
  ]);
  return { cert, key, ...(ca === undefined ? {} : { ca }), ...(settings.port === 443 ? { ALPNProtocols: [AWS_MQTT_ALPN] } : {}) };
}

/** CONNACK codes by which AWS IoT refuses credentials (3.1.1: 4, 5), never retried. */
const REFUSED_CREDENTIALS = new Set([4, 5]);

/**
 * What went wrong, with what to check: AWS IoT ends the TLS handshake (or the connection right
 * after CONNECT) of a certificate it does not know, which reaches mqtt.js as a reset or a close.
 */
function describeFailure(error: unknown, what: string): AmoraError {
  if (error instanceof AmoraError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const text = error instanceof Error ? error.message : error === undefined ? 'connection closed' : String(error);
  if (typeof code === 'number' && REFUSED_CREDENTIALS.has(code)) {
    return new AuthenticationError(`${what}: CONNACK ${code} (${CONNECT_HINTS.refused})`, {
      cause: error,
      details: { reasonCode: code },
    });
  }
  const hint = /ECONNRESET|EPIPE|socket hang up|secure TLS connection|connection closed|certificate|alert/i.test(text)
    ? CONNECT_HINTS.closed
    : /ENOENT|EACCES|PEM|key/i.test(text)
      ? CONNECT_HINTS.files
      : undefined;
  return new TransportError('unavailable', `${what}: ${text}${hint ? ` (${hint})` : ''}`, { cause: error });
}
