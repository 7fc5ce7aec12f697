import { ExponentialBackoffRetryPolicy, type Clock, type Logger, type RetryPolicy } from '../../core/index.js';
import type { AwsLink, AwsLinkHooks, AwsLinkSettings } from './aws-link.js';
import { CrtConnection } from './crt-connection.js';
import { AwsMqttLink } from './mqtt-link.js';
import type { AwsIotOptions } from './options.js';

/** What the device's link and the controller's differ in; the rest comes from the options alike. */
export type OwnLinkSettings = Pick<AwsLinkSettings, 'clientId' | 'cleanSession' | 'will'>;

/**
 * The link the options ask for (`link`; the `sdk` one loads aws-iot-device-sdk-v2 when started),
 * retrying with the options' backoff unless a retry policy is given.
 */
export function createAwsLink(
  options: AwsIotOptions,
  own: OwnLinkSettings,
  hooks: AwsLinkHooks,
  deps: { readonly retryPolicy: RetryPolicy | undefined; readonly clock: Clock; readonly logger: Logger },
): AwsLink {
  const settings: AwsLinkSettings = {
    endpoint: options.endpoint,
    port: options.port,
    certPath: options.certPath,
    keyPath: options.keyPath,
    ...(options.caPath === undefined ? {} : { caPath: options.caPath }),
    keepAliveSeconds: options.keepAliveSeconds,
    operationTimeoutMs: options.operationTimeoutMs,
    ...own,
  };
  const linkDeps = {
    retryPolicy: deps.retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
    clock: deps.clock,
    logger: deps.logger,
    maxPublishesPerSecond: options.telemetry.maxPublishesPerSecond,
  };
  return options.link === 'sdk' ? new CrtConnection(settings, hooks, linkDeps) : new AwsMqttLink(settings, hooks, linkDeps);
}
