import type { Agent, Logger } from '../../core/index.js';
import { listenError } from '../listen-error.js';
import { AgentMetrics } from './agent-metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

export interface AgentEndpointOptions {
  readonly port: number;
  readonly host: string;
  readonly transportIds: readonly string[];
  readonly version: string;
  readonly logger: Logger;
}

export interface AgentEndpoint {
  readonly server: MetricsServer;
  /** Liveness turns false: the agent is stopping (a probe then sees 503 on /healthz). */
  markStopping(): void;
  close(): Promise<void>;
}

/**
 * `amora agent`'s metrics endpoint: follows the agent's streams from before it starts and serves
 * `/metrics`, `/healthz` and `/readyz` on the configured address.
 */
export async function startAgentEndpoint(agent: Agent, options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const metrics = new AgentMetrics(agent, { transportIds: options.transportIds, version: options.version });
  metrics.start();
  let alive = true;
  const server = await startMetricsServer({
    port: options.port,
    host: options.host,
    registry: metrics.registry,
    readiness: () => metrics.readiness(),
    alive: () => alive,
    logger: options.logger,
  }).catch((error: unknown) => {
    metrics.stop();
    throw listenError(error, options.host, { '--metrics-port': options.port });
  });
  options.logger.info({ url: `${server.url}/metrics` }, 'metrics endpoint listening');
  return {
    server,
    markStopping: () => void (alive = false),
    async close() {
      metrics.stop();
      await server.close();
    },
  };
}
