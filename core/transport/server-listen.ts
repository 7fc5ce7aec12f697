/**
 * A server as Node's net.Server (and its TLS, HTTP and HTTPS kin) is one, described here so core
 * stays free of Node built-ins: these helpers take a server the caller made.
 */
export interface ListeningServer {
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  listen(port: number | undefined, host: string | undefined, listening: () => void): unknown;
  address(): { port: number } | string | null;
  close(closed: () => void): unknown;
}

/** Listens on `port` (0: a free one) and `host`; resolves with the bound port, rejects with a listen error (EADDRINUSE...). */
export function listenOn(server: ListeningServer, port: number | undefined, host: string | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** Stops accepting connections and resolves once the server has closed. */
export function closeServer(server: ListeningServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
