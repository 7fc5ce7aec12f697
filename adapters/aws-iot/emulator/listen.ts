import type { AddressInfo, Server } from 'node:net';

/** Listens on `port` (0: a free one) and `host`; resolves with the bound port, rejects with a listen error (EADDRINUSE…). */
export function listenOn(server: Server, port: number | undefined, host: string | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
