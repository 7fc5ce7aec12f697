import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
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
}

/** Starts the embedded broker, prints where it listens, and closes it on SIGINT/SIGTERM. */
export async function runBroker(options: BrokerRunOptions): Promise<void> {
  const logger = createCliLogger();
  const broker = await startEmbeddedBroker({
    host: options.host,
    port: options.port,
    ...(options.wsPort !== undefined ? { wsPort: options.wsPort } : {}),
    logger,
  }).catch((error: unknown) => {
    throw listenError(error, options.host, { '--port': options.port, '--ws-port': options.wsPort });
  });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host; // IPv6 in a URL
  process.stdout.write(`broker listening on mqtt://${host}:${broker.port}\n`);
  if (broker.wsPort !== undefined) process.stdout.write(`websocket on ws://${host}:${broker.wsPort}\n`);
  let metrics: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    metrics = await startMetricsServer({ port: options.metricsPort, host: options.host, registry: brokerMetrics(broker.aedes), logger }).catch(async (error: unknown) => {
      await broker.close();
      throw listenError(error, options.host, { '--metrics-port': options.metricsPort });
    });
    process.stdout.write(`metrics on ${metrics.url}/metrics\n`);
  }
  onShutdown(async () => {
    await metrics?.close();
    await broker.close();
  });
}
