import { readFile } from 'node:fs/promises';
import { brokerHasAuth, startEmbeddedBroker, type EmbeddedBrokerOptions } from '../../adapters/mqtt/node.js';
import {
  ConfigError,
} from '../../core/index.js';
import { describeError } from '../failure.js';
import { listenError } from '../listen-error.js';
import { createCliLogger } from '../logger.js';
import { brokerMetrics } from '../metrics/broker-metrics.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js';
import { onShutdown } from '../shutdown.js';

export interface BrokerRunOptions {
  readonly port: number;
  readonly wsPort?: number;
  readonly host: string;
  readonly metricsPort?: number;
  readonly passwordFile?: string;
  readonly aclFile?: string;
  readonly jwtSecret?: string;
  readonly jwks?: string;
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  readonly jwtDevicesClaim?: string;
  readonly topicPrefix?: string;
  readonly tlsPort?: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
  readonly requireClientCert?: boolean;
  readonly insecure?: boolean;
}

/**
 * Starts the embedded broker, prints where it listens, reloads its password and ACL files on
 * SIGHUP, and closes it on SIGINT/SIGTERM. Without authentication it only listens on loopback,
 * unless `--insecure` says that is meant.
 */
export async function runBroker(options: BrokerRunOptions): Promise<void> {
  const logger = createCliLogger();
  const security = await securityOptions(options);
  if (!brokerHasAuth(security) && !isLoopback(options.host) && !options.insecure) {
    throw new ConfigError(
      `refusing to listen on ${options.host} without authentication: give --password-file, --jwt-secret/--jwks or --tls-ca, or --insecure to accept anyone`,
    );
  }
  const broker = await startEmbeddedBroker({
    host: options.host,
    port: options.port,
    ...(options.wsPort !== undefined ? { wsPort: options.wsPort } : {}),
    ...security,
    logger,
  }).catch((error: unknown) => {
    if (error instanceof ConfigError) throw error;
    throw listenError(error, options.host, { '--port': options.port, '--ws-port': options.wsPort, '--tls-port': options.tlsPort });
  });
  // The handlers go in before the first line is printed: a signal sent on seeing that line (a
  // supervisor, a test, a quick Ctrl-C) must find them, or the process dies without closing.
  let metrics: MetricsServer | undefined;
  const reload = (): void => {
    broker.reload().then(
      () => logger.info({}, 'reloaded the password and ACL files'),
      (error: unknown) => logger.error({ err: describeError(error) }, 'reload failed: the previous files stay in force'),
    );
  };
  process.on('SIGHUP', reload);
  onShutdown(async () => {
    process.off('SIGHUP', reload);
    await metrics?.close();
    await broker.close();
  });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host; // IPv6 in a URL
  process.stdout.write(`broker listening on mqtt://${host}:${broker.port}\n`);
  if (broker.tlsPort !== undefined) process.stdout.write(`tls on mqtts://${host}:${broker.tlsPort}\n`);
  if (broker.wsPort !== undefined) process.stdout.write(`websocket on ws://${host}:${broker.wsPort}\n`);
  if (options.metricsPort !== undefined) {
    metrics = await startMetricsServer({ port: options.metricsPort, host: options.host, registry: brokerMetrics(broker.aedes), logger }).catch(async (error: unknown) => {
      await broker.close();
      throw listenError(error, options.host, { '--metrics-port': options.metricsPort });
    });
    process.stdout.write(`metrics on ${metrics.url}/metrics\n`);
  }
}

async function securityOptions(options: BrokerRunOptions): Promise<Pick<EmbeddedBrokerOptions, 'auth' | 'tls'>> {
  const jwt =
    options.jwtSecret !== undefined || options.jwks !== undefined
      ? {
          ...(options.jwtSecret !== undefined ? { secret: options.jwtSecret } : {}),
          ...(options.jwks !== undefined ? { jwks: options.jwks } : {}),
          ...(options.jwtIssuer !== undefined ? { issuer: options.jwtIssuer } : {}),
          ...(options.jwtAudience !== undefined ? { audience: options.jwtAudience } : {}),
          ...(options.jwtDevicesClaim !== undefined ? { devicesClaim: options.jwtDevicesClaim } : {}),
        }
      : undefined;
  const auth = {
    ...(options.passwordFile !== undefined ? { passwordFile: options.passwordFile } : {}),
    ...(options.aclFile !== undefined ? { aclFile: options.aclFile } : {}),
    ...(jwt ? { jwt } : {}),
    ...(options.topicPrefix !== undefined ? { topicPrefix: options.topicPrefix } : {}),
  };
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new ConfigError('--tls-cert and --tls-key go together');
  if ((options.tlsCa !== undefined || options.requireClientCert) && options.tlsCert === undefined) {
    throw new ConfigError('--tls-ca and --require-client-cert need the TLS listener (--tls-cert and --tls-key)');
  }
  if (options.requireClientCert && options.tlsCa === undefined) throw new ConfigError('--require-client-cert needs --tls-ca');
  const tls =
    options.tlsCert !== undefined && options.tlsKey !== undefined
      ? {
          ...(options.tlsPort !== undefined ? { port: options.tlsPort } : {}),
          cert: await pem(options.tlsCert, '--tls-cert'),
          key: await pem(options.tlsKey, '--tls-key'),
          ...(options.tlsCa !== undefined ? { ca: await pem(options.tlsCa, '--tls-ca') } : {}),
          requireClientCert: options.requireClientCert ?? false,
        }
      : undefined;
  return { auth, ...(tls ? { tls } : {}) };
}

async function pem(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${option} ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
