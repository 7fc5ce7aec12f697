import type { Observable } from 'rxjs';
import { RateLimiter, type Clock, type ConnectionStatus, type Logger, type RetryPolicy } from '../../core/index.js';

/**
 * The MQTT connection to AWS IoT Core that both transports use, whichever client carries it:
 * `mqtt` (mqtt.js, mqtt-link.ts) or `sdk` (aws-iot-device-sdk-v2 on aws-crt, crt-connection.ts),
 * chosen by the `link` option. Both keep the wanted filters subscribed across every reconnect
 * and stay under AWS's publish rate.
 */
export interface AwsLink {
  readonly status$: Observable<ConnectionStatus>;
  /** True while a connection is up (its setup may still be running). */
  readonly connected: boolean;
  /** True from a completed setup until the connection is lost. */
  readonly online: boolean;
  start(signal: AbortSignal): Promise<void>;
  /** Runs `beforeEnd` while still connected (a goodbye), then closes for good. Idempotent. */
  stop(beforeEnd?: () => Promise<void>): Promise<void>;
  setOutbox(outbox: ConnectionStatus['outbox']): void;
  /** Filters to keep subscribed across every reconnect; subscribes now when connected. */
  subscribe(filters: readonly string[], qos: 0 | 1): Promise<void>;
  /** Like subscribe(), for a feature the device can do without: a refusal is logged only. */
  subscribeOptional(filters: readonly string[], qos: 0 | 1): Promise<void>;
  unsubscribe(filters: readonly string[]): Promise<void>;
  /** Publishes while connected, after the rate limiter allows it; QoS 1 resolves on PUBACK. */
  publish(topic: string, payload: string, qos: 0 | 1, retain?: boolean): Promise<void>;
}

const CHECK_CERTIFICATE = 'check the certificate is registered and active, and its policy allows iot:Connect for this client id';

/** What to check when a connection fails, the same whichever link met it. */
export const CONNECT_HINTS = {
  /** AWS IoT ends the TLS handshake (or the connection right after CONNECT) of a certificate it does not know. */
  closed: `the endpoint closed the connection: ${CHECK_CERTIFICATE}`,
  refused: `the broker refused the CONNECT: ${CHECK_CERTIFICATE}`,
  /** A file missing or unreadable, or not PEM. */
  files: 'check IOT_ENDPOINT, IOT_ROOT_CA_PATH, IOT_CERT_PATH and IOT_KEY_PATH',
} as const;

export interface AwsLinkSettings {
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
  /** How long a connect (and, on the sdk link, a QoS 1 publish or subscribe) may wait for its acknowledgement. */
  readonly operationTimeoutMs: number;
  /** The last will, evaluated before every connect so its timestamp is fresh. */
  readonly will?: () => { readonly topic: string; readonly payload: string; readonly qos: 0 | 1; readonly retain: boolean };
}

export interface AwsLinkHooks {
  /** After every connect, once subscriptions are restored and before the status turns online. */
  onConnected?(session: { readonly sessionPresent: boolean; readonly first: boolean }): Promise<void>;
  /** When a connection is lost (not on stop()). */
  onDisconnected?(): void;
  onMessage(topic: string, payload: Uint8Array, retain: boolean): void;
}

export interface AwsLinkDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Publishes per second over this connection (AWS IoT discards what exceeds 100). */
  readonly maxPublishesPerSecond: number;
}

/** ALPN protocol that lets AWS IoT Core take MQTT with a client certificate on port 443. */
export const AWS_MQTT_ALPN = 'x-amzn-mqtt-ca';

/** Both links' publish pacing: publishes wait (in order) rather than being dropped; the outbox above bounds what waits. */
export function publishLimiter(deps: AwsLinkDeps): RateLimiter<() => Promise<void>> {
  return new RateLimiter<() => Promise<void>>((publish) => publish(), { perSecond: deps.maxPublishesPerSecond, capacity: Number.MAX_SAFE_INTEGER, clock: deps.clock });
}
