import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';

/** A static HTTP server for a browser bundle, on 127.0.0.1 and a free port. */
export interface PageServer {
  /** Base URL, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The page: nothing but the bundle as a module script. */
function indexHtml(entry: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Amora controller</title></head>
<body><script type="module" src="/${entry}"></script></body>
</html>
`;
}

/**
 * Serves `/` as an HTML page loading `entry`, and the files of `dir` by their plain names only
 * (no sub-paths, so nothing outside the bundle can be read).
 */
export async function servePage(dir: string, entry: string): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path === '/') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(indexHtml(entry));
        return;
      }
      const name = path.slice(1);
      const type = CONTENT_TYPES[extname(name)];
      if (type === undefined || name !== basename(name)) {
        response.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(join(dir, name));
        response.writeHead(200, { 'content-type': type }).end(body);
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The browser may keep an idle keep-alive connection open; it must not hold the close.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
