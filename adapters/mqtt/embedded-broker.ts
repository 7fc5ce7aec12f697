import { Aedes } from 'aedes';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createWebSocketStream, WebSocketServer } from 'ws';
import {
  silentLogger,
  type Logger,
} from '../../core/index.js';

/**
 * Node-only: the embedded aedes broker on TCP and optionally WebSocket, the zero-setup broker for
 * development and demos (a fleet uses Mosquitto, EMQX, HiveMQ or a cloud). aedes speaks MQTT
 * 3.1.1 only; our clients fall back from 5 automatically.
 */
export interface EmbeddedBrokerOptions {
  /** TCP port; 0 picks a free one. Default 1883. */
  readonly port?: number;
  /** Address to bind. Default 127.0.0.1 (0.0.0.0 to accept other machines). */
  readonly host?: string;
  /** WebSocket port (path-agnostic); off unless given; 0 picks a free one. */
  readonly wsPort?: number;
  readonly logger?: Logger;
}

export interface EmbeddedBroker {
  /** The TCP port actually bound. */
  readonly port: number;
  /** The WebSocket port actually bound, when enabled. */
  readonly wsPort?: number;
  /** The aedes instance, for tests and tools that need the broker's own events. */
  readonly aedes: Aedes;
  /** Disconnects every client and closes the listeners. Idempotent. */
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger).child({ component: 'broker' });
  const aedes = await Aedes.createBroker();
  aedes.on('clientError', (client, error) => logger.debug({ clientId: client?.id, err: error.message }, 'client error'));
  aedes.on('connectionError', (_client, error) => logger.debug({ err: error.message }, 'connection error'));

  const sockets = new Set<Socket>();
  const tcp = createServer({ noDelay: true }, (socket) => {
    // Small MQTT packets must not wait on Nagle + delayed ACK (40 ms per QoS 1 round trip).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  try {
    const port = await listen(tcp, options.port ?? 1883, host);
    let wsPort: number | undefined;
    if (options.wsPort !== undefined) {
      http = createHttpServer();
      // ws sets TCP_NODELAY on upgraded sockets itself.
      wss = new WebSocketServer({ server: http });
      // ws re-emits the HTTP server's errors; without a listener, a port in use would crash the
      // process instead of rejecting through listen() below.
      wss.on('error', (error) => logger.debug({ err: error.message }, 'WebSocket server error'));
      wss.on('connection', (websocket, request) => aedes.handle(createWebSocketStream(websocket), request));
      wsPort = await listen(http, options.wsPort, host);
    }
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        for (const client of wss?.clients ?? []) client.terminate();
        await Promise.all([closeServer(tcp), wss ? new Promise((resolve) => wss!.close(resolve)) : undefined, http ? closeServer(http) : undefined]);
      })());
    logger.info({ host, port, wsPort }, 'embedded MQTT broker listening');
    return { port, ...(wsPort === undefined ? {} : { wsPort }), aedes, close };
  } catch (error) {
    aedes.close();
    tcp.close();
    http?.close();
    throw error;
  }
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
