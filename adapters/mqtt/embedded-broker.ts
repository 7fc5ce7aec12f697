import { Aedes } from 'aedes';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { silentLogger, type Logger } from '../../core/index.js';
import { closeServer, listenOn } from '../../core/internal.js';
import { installAuthHooks } from './broker-auth/aedes-hooks.js';
import type { BrokerAuthOptions, BrokerTlsOptions } from './broker-auth/broker-auth-options.js';
import { BrokerAuthorizer, type BrokerDenials } from './broker-auth/broker-authorizer.js';

export type { BrokerAuthOptions, BrokerTlsOptions, BrokerDenials };

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
  /**
   * Authentication and authorization (password file, ACL file, JWT users). Without it and without
   * client certificates, every client may connect and use every topic.
   */
  readonly auth?: BrokerAuthOptions;
  /** A TLS listener beside the TCP one; with `ca`, devices authenticate with their certificate. */
  readonly tls?: BrokerTlsOptions;
  readonly logger?: Logger;
}

export interface EmbeddedBroker {
  /** The TCP port actually bound. */
  readonly port: number;
  /** The WebSocket port actually bound, when enabled. */
  readonly wsPort?: number;
  /** The TLS port actually bound, when enabled. */
  readonly tlsPort?: number;
  /** Requests refused since start (all zero without authorization). */
  readonly denials: BrokerDenials;
  /** Reads the password and ACL files again (the CLI calls it on SIGHUP); the old rules stay on an error. */
  reload(): Promise<void>;
  /** The aedes instance, for tests and tools that need the broker's own events. */
  readonly aedes: Aedes;
  /** Disconnects every client and closes the listeners. Idempotent. */
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger).child({ component: 'broker' });
  // Files first: a bad password or ACL file fails before anything is opened.
  const authorizer = await authorizerFor(options, logger);
  const aedes = await Aedes.createBroker();
  aedes.on('clientError', (client, error) => logger.debug({ clientId: client?.id, err: error.message }, 'client error'));
  aedes.on('connectionError', (_client, error) => logger.debug({ err: error.message }, 'connection error'));
  if (authorizer) installAuthHooks(aedes, authorizer, logger);

  const sockets = new Set<Socket>();
  const accept = (socket: Socket): void => {
    // Small MQTT packets must not wait on Nagle + delayed ACK (40 ms per QoS 1 round trip).
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  };
  const tcp = createServer({ noDelay: true }, accept);
  const tlsServer = options.tls ? tlsListener(options.tls, accept, logger) : undefined;
  let http: HttpServer | undefined;
  let wss: WebSocketServer | undefined;
  try {
    const port = await listenOn(tcp, options.port ?? 1883, host);
    const tlsPort = tlsServer ? await listenOn(tlsServer, options.tls?.port ?? 8883, host) : undefined;
    let wsPort: number | undefined;
    if (options.wsPort !== undefined) {
      http = createHttpServer();
      // ws sets TCP_NODELAY on upgraded sockets itself.
      wss = new WebSocketServer({ server: http });
      // ws re-emits the HTTP server's errors; without a listener, a port in use would crash the
      // process instead of rejecting through listen() below.
      wss.on('error', (error) => logger.debug({ err: error.message }, 'WebSocket server error'));
      wss.on('connection', (websocket, request) => aedes.handle(createWebSocketStream(websocket), request));
      wsPort = await listenOn(http, options.wsPort, host);
    }
    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        for (const client of wss?.clients ?? []) client.terminate();
        await Promise.all([closeServer(tcp), tlsServer ? closeServer(tlsServer) : undefined, wss ? new Promise((resolve) => wss!.close(resolve)) : undefined, http ? closeServer(http) : undefined]);
      })());
    logger.info({ host, port, wsPort, tlsPort, auth: authorizer !== undefined }, 'embedded MQTT broker listening');
    return {
      port,
      ...(wsPort === undefined ? {} : { wsPort }),
      ...(tlsPort === undefined ? {} : { tlsPort }),
      denials: authorizer?.denials ?? { connects: 0, publishes: 0, subscribes: 0 },
      reload: async () => authorizer?.reload(),
      aedes,
      close,
    };
  } catch (error) {
    aedes.close();
    tcp.close();
    tlsServer?.close();
    http?.close();
    throw error;
  }
}

/** Whether the options turn authentication on (a file, JWT users, or required client certificates). */
export function brokerHasAuth(options: Pick<EmbeddedBrokerOptions, 'auth' | 'tls'>): boolean {
  const auth = options.auth;
  return Boolean(auth?.passwordFile || auth?.aclFile || auth?.jwt || options.tls?.ca);
}

async function authorizerFor(options: EmbeddedBrokerOptions, logger: Logger): Promise<BrokerAuthorizer | undefined> {
  // Client certificates alone also need the authorizer: a device must be kept to its own topics.
  if (!brokerHasAuth(options)) return undefined;
  return BrokerAuthorizer.create(options.auth ?? {}, logger);
}

function tlsListener(tls: BrokerTlsOptions, accept: (socket: Socket) => void, logger: Logger): TlsServer {
  const server = createTlsServer(
    {
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.2',
      ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.requireClientCert ?? false } : {}),
    },
    accept,
  );
  server.on('tlsClientError', (error) => logger.debug({ err: error.message }, 'TLS handshake failed'));
  return server;
}

