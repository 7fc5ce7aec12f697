// Node-only: the hub listens on a socket.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  applyMergePatch,
  silentLogger,
  type DeviceStateMessage,
  type JsonObject,
  type Logger,
} from '../../core/index.js';
import { CLOSE_CODES, clientFrameSchema, parseFrame, type ClientFrame, type HubFrame, type PresenceFrame } from './protocol.js';

export interface WsHubServerOptions {
  /** TCP port; 0 picks a free one. Default 8787. */
  readonly port?: number;
  /** Address to bind. Default 127.0.0.1 (0.0.0.0 to accept other machines). */
  readonly host?: string;
  /** When set, every client must send it in its hello. */
  readonly token?: string;
  /** How often clients are pinged; one that missed the previous ping is cut and, if a device, reported lost. Default 30 000 ms. */
  readonly heartbeatMs?: number;
  /** Largest frame accepted, bytes. Default 1 MiB. */
  readonly maxFrameBytes?: number;
  readonly logger?: Logger;
}

export interface WsHubServer {
  readonly port: number;
  /** `ws://host:port`, for the `url` option of the transports. */
  readonly url: string;
  /** Cuts every client and stops listening. Idempotent. */
  close(): Promise<void>;
}

interface Client {
  readonly id: string;
  readonly socket: WebSocket;
  role?: 'device' | 'controller';
  deviceId?: string;
  /** The device said bye: its coming close is graceful. */
  leaving: boolean;
  alive: boolean;
}

/**
 * Starts a ws-hub: the far end of the `ws-hub` transport, a tiny broker for a site, a lab or
 * tests (see protocol.ts). Everything it keeps is in memory: a restart forgets kept state and
 * desired documents, and devices send theirs again when they reconnect.
 */
export async function startWsHub(options: WsHubServerOptions = {}): Promise<WsHubServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = (options.logger ?? silentLogger).child({ component: 'ws-hub' });
  const clients = new Map<WebSocket, Client>();
  const devices = new Map<string, Client>();
  const controllers = new Map<string, Client>();
  const states = new Map<string, DeviceStateMessage>();
  const presence = new Map<string, PresenceFrame>();
  const desired = new Map<string, JsonObject>();
  let sequence = 0;

  const server = new WebSocketServer({ host, port: options.port ?? 8787, maxPayload: options.maxFrameBytes ?? 1024 * 1024, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const send = (client: Client, frame: HubFrame): void => {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(frame));
  };
  const broadcast = (frame: HubFrame): void => controllers.forEach((controller) => send(controller, frame));
  const announce = (deviceId: string, status: 'online' | 'offline', reason?: 'graceful' | 'lost'): void => {
    const frame: PresenceFrame = { type: 'presence', deviceId, status, timestamp: Date.now(), ...(reason ? { reason } : {}) };
    presence.set(deviceId, frame);
    broadcast(frame);
  };

  const hello = (client: Client, frame: Extract<ClientFrame, { type: 'hello' }>): void => {
    if (options.token !== undefined && frame.token !== options.token) {
      logger.warn({ client: client.id, role: frame.role }, 'refused a client with a wrong or missing token');
      client.socket.close(CLOSE_CODES.unauthorized, 'unauthorized');
      return;
    }
    client.role = frame.role;
    if (frame.role === 'controller') {
      controllers.set(client.id, client);
      // Everything kept first, so the controller's view is complete at its welcome.
      for (const message of states.values()) send(client, { type: 'state', message });
      for (const announced of presence.values()) send(client, announced);
      send(client, { type: 'welcome' });
      return;
    }
    const previous = devices.get(frame.deviceId);
    if (previous) {
      // A reconnect that overtook the old socket's death: the old connection was lost.
      devices.delete(frame.deviceId);
      announce(frame.deviceId, 'offline', 'lost');
      previous.socket.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
    }
    client.deviceId = frame.deviceId;
    devices.set(frame.deviceId, client);
    announce(frame.deviceId, 'online');
    const kept = desired.get(frame.deviceId);
    send(client, kept ? { type: 'welcome', desired: kept } : { type: 'welcome' });
  };

  const fromDevice = (client: Client, deviceId: string, frame: ClientFrame): void => {
    switch (frame.type) {
      case 'state': {
        // The hub vouches for the sender: a device only ever speaks for itself.
        const message = { ...frame.message, device_id: deviceId };
        states.set(deviceId, message);
        broadcast({ type: 'state', message });
        break;
      }
      case 'response': {
        const controller = controllers.get(frame.to);
        if (controller) send(controller, { type: 'response', response: frame.response });
        break;
      }
      case 'telemetry':
        broadcast({ type: 'telemetry', deviceId, kind: frame.kind, records: frame.records });
        break;
      case 'bye':
        client.leaving = true;
        break;
      default:
        logger.debug({ client: client.id, frame: frame.type }, 'ignoring a frame a device may not send');
    }
  };

  const fromController = (client: Client, frame: ClientFrame): void => {
    if (frame.type === 'command') {
      const device = devices.get(frame.deviceId);
      // Like a non-retained MQTT message: nobody there, nobody gets it; the caller's invoke times out.
      if (!device) logger.debug({ client: client.id, deviceId: frame.deviceId }, 'dropping a command for a device that is not connected');
      else send(device, { type: 'command', from: client.id, ...(frame.bytes === undefined ? { payload: frame.payload ?? '' } : { bytes: frame.bytes }) });
    } else if (frame.type === 'desired') {
      desired.set(frame.deviceId, applyMergePatch(desired.get(frame.deviceId) ?? {}, frame.patch));
      const device = devices.get(frame.deviceId);
      if (device) send(device, { type: 'desired', patch: frame.patch });
    } else {
      logger.debug({ client: client.id, frame: frame.type }, 'ignoring a frame a controller may not send');
    }
  };

  server.on('connection', (socket) => {
    const client: Client = { id: `c${++sequence}`, socket, leaving: false, alive: true };
    clients.set(socket, client);
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data, isBinary) => {
      const frame = isBinary ? undefined : parseFrame(clientFrameSchema, data.toString());
      if (!frame) {
        if (client.role === undefined) socket.close(CLOSE_CODES.protocolError, 'expected a hello frame');
        else logger.debug({ client: client.id }, 'ignoring a malformed frame');
        return;
      }
      if (client.role === undefined) {
        if (frame.type === 'hello') hello(client, frame);
        else socket.close(CLOSE_CODES.protocolError, 'expected a hello frame');
      } else if (client.role === 'device') fromDevice(client, client.deviceId!, frame);
      else fromController(client, frame);
    });
    socket.on('error', (error) => logger.debug({ client: client.id, err: error.message }, 'client socket error'));
    socket.on('close', () => {
      clients.delete(socket);
      controllers.delete(client.id);
      const deviceId = client.deviceId;
      // Only the current connection of a device decides its presence (not one it replaced).
      if (deviceId === undefined || devices.get(deviceId) !== client) return;
      devices.delete(deviceId);
      announce(deviceId, 'offline', client.leaving ? 'graceful' : 'lost');
    });
  });

  const heartbeat = setInterval(() => {
    for (const client of clients.values()) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port, auth: options.token !== undefined }, 'ws-hub listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      })),
  };
}
