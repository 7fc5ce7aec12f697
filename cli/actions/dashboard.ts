import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from '../exit-codes.js';
import { listenError } from '../listen-error.js';
import { onShutdown } from '../shutdown.js';

export interface DashboardRunOptions {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly username?: string;
}

/** The built dashboard (`npm run build` → dist/dashboard), beside dist/cli in the package. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serves the dashboard's static files and a `config.json` naming the broker; nothing else (the
 * page has no backend: it talks MQTT to the broker from the browser).
 */
export async function runDashboard(options: DashboardRunOptions): Promise<void> {
  if (!/^wss?:\/\//.test(options.url)) throw new CliError(`--url must be a ws:// or wss:// URL (the broker's WebSocket listener), got ${options.url}`, EXIT.usage);
  const index = await readFile(join(DASHBOARD_DIR, 'index.html')).catch(() => {
    throw new CliError(`the dashboard is not built (${DASHBOARD_DIR} is missing): run npm run build`, EXIT.usage);
  });
  const config = JSON.stringify({ url: options.url, ...(options.username ? { username: options.username } : {}) });
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      if (path === '/' || path === '/index.html') return void response.writeHead(200, { 'content-type': CONTENT_TYPES['.html']!, 'cache-control': 'no-cache' }).end(index);
      if (path === '/config.json') return void response.writeHead(200, { 'content-type': CONTENT_TYPES['.json']!, 'cache-control': 'no-store' }).end(config);
      const file = normalize(join(DASHBOARD_DIR, path));
      const type = CONTENT_TYPES[extname(file)];
      // Only files inside the dashboard directory, of the kinds it has.
      if (!file.startsWith(DASHBOARD_DIR.endsWith(sep) ? DASHBOARD_DIR : `${DASHBOARD_DIR}${sep}`) || type === undefined) return void response.writeHead(404).end();
      try {
        const body = await readFile(file);
        // Asset names carry a content hash: they never change under one name.
        response.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable' }).end(body);
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch((error: unknown) => {
    throw listenError(error, options.host, { '--port': options.port });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stdout.write(`dashboard on http://${host}:${port}/ (broker ${options.url})\n`);
  onShutdown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
}
