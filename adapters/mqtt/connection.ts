import { ExponentialBackoffRetryPolicy, type Clock, type Logger, type RetryPolicy } from '../../core/index.js';
import { MqttConnection, type MqttConnectionHooks, type MqttConnectionSettings } from '../../core/mqtt.js';
import { brokerUrls, type MqttOptions } from './options.js';
import { inlineTlsLoader, type TlsMaterialLoader } from './tls.js';

/** What a device's connection and a controller's differ in; the rest comes from the options alike. */
export type OwnConnectionSettings = Pick<MqttConnectionSettings, 'clientId' | 'clean' | 'sessionExpirySeconds' | 'will' | 'deferAcknowledgement'>;

/**
 * A connection to the options' brokers (urls, protocol version, keepalive, credentials, TLS read
 * by the injected loader before every attempt), retrying with the options' backoff unless a retry
 * policy is given.
 */
export function mqttConnectionFor(
  options: MqttOptions,
  own: OwnConnectionSettings,
  hooks: MqttConnectionHooks,
  deps: {
    readonly retryPolicy: RetryPolicy | undefined;
    readonly clock: Clock;
    readonly logger: Logger;
    /** Reads the `tls` section's files (the Node build's loader); inline PEM only without one. */
    readonly tlsLoader: TlsMaterialLoader | undefined;
  },
): MqttConnection {
  const tls = options.tls;
  const load = deps.tlsLoader ?? inlineTlsLoader;
  return new MqttConnection(
    {
      urls: brokerUrls(options),
      protocolVersion: options.protocolVersion,
      keepaliveSeconds: options.keepaliveSeconds,
      connectTimeoutMs: options.connectTimeoutMs,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      ...(tls ? { tls: () => load(tls) } : {}),
      ...own,
    },
    hooks,
    {
      retryPolicy: deps.retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
      clock: deps.clock,
      logger: deps.logger,
    },
  );
}
