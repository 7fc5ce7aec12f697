import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a server, to make a network fault happen: `cut()` resets
 * every relayed connection and resets new ones until `restore()`, as a dead link would; the
 * server behind it keeps running (and keeps what it retains meanwhile). `holdReplies()` stops
 * relaying what the server sends (its acknowledgements, say) until the connection is cut.
 */
export class TcpProxy {
  /** Connections accepted and relayed so far (not counting those reset while cut). */
  relayed = 0;
  /** Sees each chunk a client sends towards the server, as one read delivered it. */
  onClientData?: (chunk: Buffer) => void;
  private readonly sockets = new Set<Socket>();
  /** Each relayed connection's server side and client side. */
  private readonly pairs = new Map<Socket, Socket>();
  private down = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.relay(client, targetPort, targetHost));
    return proxy;
  }

  /** Resets every relayed connection and every new one until restore(). */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  /** Stops relaying what the server sends on the connections open now; it waits in the relay. */
  holdReplies(): void {
    for (const [upstream, client] of this.pairs) upstream.unpipe(client);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number, targetHost: string): void {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    this.relayed++;
    const upstream = connect({ port: targetPort, host: targetHost, noDelay: true });
    client.setNoDelay(true);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.pairs.delete(upstream);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => this.onClientData?.(chunk));
    client.pipe(upstream);
    upstream.pipe(client);
    this.pairs.set(upstream, client);
  }
}
