import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/index.js';

/** What `/readyz` answers: 200 when ready, 503 otherwise, with the details as JSON either way. */
export interface Readiness {
  readonly ready: boolean;
  readonly details: Record<string, unknown>;
}

export interface MetricsServerOptions {
  readonly port: number;
  readonly host: string;
  readonly registry: Registry;
  /** `/readyz`; without it the endpoint answers ready while the process runs. */
  readonly readiness?: () => Readiness;
  /** `/healthz`: false once the process is shutting down. Default: always alive. */
  readonly alive?: () => boolean;
  readonly logger?: Logger;
}

export interface MetricsServer {
  /** The port actually bound (the configured one, or a free one for 0). */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The HTTP endpoint a Prometheus scraper and a probe read: `/metrics` (text exposition format),
 * `/healthz` (liveness: the event loop answers) and `/readyz` (readiness). Plain node:http: three
 * read-only routes need no framework.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((request, response) => void handle(request, response, options));
  // A scraper that keeps connections open must not hold the process at exit.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: MetricsServerOptions): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain', 'method not allowed\n');
  try {
    switch (path) {
      case '/metrics':
        return send(response, 200, options.registry.contentType, await options.registry.metrics());
      case '/healthz': {
        const alive = options.alive?.() ?? true;
        return send(response, alive ? 200 : 503, 'text/plain', alive ? 'ok\n' : 'stopping\n');
      }
      case '/readyz': {
        const readiness = options.readiness?.() ?? { ready: true, details: {} };
        return send(response, readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready: readiness.ready, ...readiness.details })}\n`);
      }
      default:
        return send(response, 404, 'text/plain', 'not found: try /metrics, /healthz or /readyz\n');
    }
  } catch (error) {
    options.logger?.warn({ err: error instanceof Error ? error : new Error(String(error)), path }, 'metrics request failed');
    return send(response, 500, 'text/plain', 'metrics unavailable\n');
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}
