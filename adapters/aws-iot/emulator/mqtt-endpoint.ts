import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import {
  type Logger,
} from '../../../core/index.js';
import { listenOn } from '../../../core/internal.js';
import { MQTT_PAYLOAD_LIMIT_BYTES } from '../payloads.js';
import { parseShadowTopic } from '../shadow-topics.js';
import type { MqttPrincipal } from './control-plane-registry.js';
import type { ShadowService } from './shadow-service.js';
import type { ThingRegistry } from './thing-registry.js';

export interface MqttEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly caPem: string };
  readonly registry: ThingRegistry;
  readonly shadows: ShadowService;
  readonly logger: Logger;
}

type DisconnectReason =
  | 'CLIENT_INITIATED_DISCONNECT'
  | 'AUTH_ERROR'
  | 'CLIENT_ERROR'
  | 'SERVER_INITIATED_DISCONNECT'
  | 'DUPLICATE_CLIENTID'
  | 'MQTT_KEEP_ALIVE_TIMEOUT'
  | 'CONNECTION_LOST';

/**
 * The emulator's MQTT endpoint: aedes behind a TLS server that requires a client certificate
 * signed by the emulator CA (refused in the handshake otherwise), ACTIVE in the registry and
 * allowed `iot:Connect` by its policies (refused at CONNECT with "not authorized" otherwise).
 * Policies also decide `iot:Publish` (and `iot:RetainPublish` for a retained one; a refused
 * publish closes the connection, as on AWS), `iot:Subscribe` (a refused filter gets SUBACK
 * failure 0x80) and `iot:Receive` (a message the client may not receive is not delivered).
 * Publishes to the shadow request topics go
 * to the shadow service; other `$aws/` topics are reserved and refused, as in AWS IoT; everything
 * else is routed as ordinary MQTT (retained messages and wills included). Lifecycle events go to
 * `$aws/events/presence/{connected|disconnected}/{clientId}`.
 */
export class MqttEndpoint {
  private readonly broker: Aedes;
  private readonly server: Server;
  private readonly sockets = new Set<TLSSocket>();
  private readonly connected = new Map<string, Client>();
  private readonly principals = new WeakMap<Client, MqttPrincipal>();
  private readonly superseded = new WeakSet<Client>();
  private readonly timedOut = new WeakSet<Client>();
  /** Clients closed for a publish they may not make (AUTH_ERROR) or an oversized one (CLIENT_ERROR). */
  private readonly closedFor = new WeakMap<Client, DisconnectReason>();
  private readonly sessionVersions = new Map<string, number>();
  /** When each client id last connected or disconnected, and why it disconnected (GetThingConnectivityData). */
  private readonly lastChange = new Map<string, { timestamp: number; disconnectReason?: DisconnectReason }>();
  private closing = false;

  constructor(private readonly options: MqttEndpointOptions) {
    this.broker = new Aedes({
      authenticate: (client, _username, _password, done) => this.authenticate(client, done),
      authorizePublish: (client, packet, done) => {
        const refusal = this.authorizePublish(client, packet.topic, packet.payload, packet.retain);
        if (refusal && client) this.closedFor.set(client, refusal.reason);
        done(refusal?.error ?? null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const allowed = this.principals.get(client)?.allows('iot:Subscribe', `topicfilter/${subscription.topic}`) ?? false;
        // A null subscription makes aedes answer this filter with SUBACK failure (0x80).
        done(null, allowed ? subscription : null);
      },
      authorizeForward: (client, packet) => (this.principals.get(client)?.allows('iot:Receive', `topic/${packet.topic}`) === false ? undefined : packet),
    });
    this.broker.on('clientReady', (client) => this.presence(client, 'connected'));
    this.broker.on('clientDisconnect', (client) => this.onDisconnect(client));
    this.broker.on('keepaliveTimeout', (client) => this.timedOut.add(client));
    this.broker.on('clientError', (client, error) => options.logger.debug({ clientId: client.id, err: error.message }, 'mqtt client error'));
    this.broker.on('publish', (packet, client) => {
      if (!client) return;
      const shadow = parseShadowTopic(packet.topic);
      if (shadow && shadow.result === undefined) this.options.shadows.handleMqttRequest(shadow, toBytes(packet.payload));
    });

    this.server = createServer(
      {
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        ca: [options.tls.caPem],
        requestCert: true,
        rejectUnauthorized: true,
        // aws-iot-device-sdk-v2 offers AWS IoT's ALPN name; plain MQTT clients offer none.
        ALPNProtocols: ['x-amzn-mqtt-ca', 'mqtt'],
      },
      (socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        this.broker.handle(socket);
      },
    );
    // No-delay on the raw TCP socket, before TLS: without it every small QoS 1 exchange waits on
    // Nagle's algorithm and delayed ACKs (about 40 ms each way).
    this.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    this.server.on('tlsClientError', (error) => {
      // An unknown certificate ends here: the handshake fails and the client sees a TLS error.
      options.logger.debug({ err: error.message }, 'TLS handshake refused');
    });
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    await this.broker.listen();
    return listenOn(this.server, this.options.port, this.options.host);
  }

  /** Publishes from the service side (shadow notifications, REST Publish). */
  publish(topic: string, payload: string | Uint8Array, qos: 0 | 1 = 1, retain = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.broker.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  /** Cuts a client's connection without a goodbye, as a network failure would; false if not connected. */
  dropClient(clientId: string): boolean {
    const client = this.connected.get(clientId);
    if (!client) return false;
    (client.conn as TLSSocket).destroy();
    return true;
  }

  /** Whether a client id is connected now, and when (and why) that last changed. */
  connectivity(clientId: string): { connected: boolean; timestamp?: number; disconnectReason?: string } {
    return { connected: this.connected.has(clientId), ...this.lastChange.get(clientId) };
  }

  /** Client ids connected now. */
  clientIds(): string[] {
    return [...this.connected.keys()].toSorted();
  }

  async close(): Promise<void> {
    this.closing = true;
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await serverClosed;
  }

  private authenticate(client: Client, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const socket = client.conn as TLSSocket;
    const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    const principal = peer?.raw ? this.options.registry.principalFor(peer.raw, client.id) : undefined;
    if (principal === undefined || !principal.allows('iot:Connect', `client/${client.id}`)) {
      this.options.logger.info(
        { clientId: client.id },
        principal ? 'refused a connection its certificate policies do not allow' : 'refused a certificate that is not registered or not active',
      );
      const error = Object.assign(new Error('not authorized'), { returnCode: 5 }) as AuthenticateError;
      done(error, false);
      return;
    }
    this.principals.set(client, principal);
    // A second connection with the same client id drops the first, as in AWS IoT.
    const previous = this.connected.get(client.id);
    if (previous && previous !== client) this.superseded.add(previous);
    done(null, true);
  }

  /** Why a client's publish closes its connection, or undefined when it may publish. */
  private authorizePublish(client: Client | null, topic: string, payload: unknown, retain: boolean): { error: Error; reason: DisconnectReason } | undefined {
    if (client === null) return undefined;
    if (toBytes(payload).length > MQTT_PAYLOAD_LIMIT_BYTES) {
      return { error: new Error(`payload over ${MQTT_PAYLOAD_LIMIT_BYTES} bytes`), reason: 'CLIENT_ERROR' };
    }
    if (topic.startsWith('$')) {
      const shadow = parseShadowTopic(topic);
      // Only the shadow request topics are open to clients; AWS IoT disconnects on the rest.
      if (!shadow || shadow.result !== undefined) return { error: new Error(`reserved topic ${topic}`), reason: 'AUTH_ERROR' };
    }
    const principal = this.principals.get(client);
    // A retained publish needs iot:RetainPublish as well, as on AWS.
    const allowed = principal?.allows('iot:Publish', `topic/${topic}`) === true && (!retain || principal.allows('iot:RetainPublish', `topic/${topic}`));
    if (!allowed) return { error: new Error(`not authorized to publish to ${topic}`), reason: 'AUTH_ERROR' };
    return undefined;
  }

  private principalIdentifier(client: Client): string {
    const principal = this.principals.get(client);
    return principal?.thingName ?? principal?.certificateId ?? 'unknown';
  }

  private onDisconnect(client: Client): void {
    const current = this.connected.get(client.id) === client;
    if (current) this.connected.delete(client.id);
    let reason: DisconnectReason = 'CONNECTION_LOST';
    if (this.superseded.has(client)) reason = 'DUPLICATE_CLIENTID';
    // aedes marks a client that sent DISCONNECT only in this private flag (it also skips the will).
    // oxlint-disable-next-line no-underscore-dangle
    else if ((client as Client & { _disconnected?: boolean })._disconnected) reason = 'CLIENT_INITIATED_DISCONNECT';
    else if (this.timedOut.has(client)) reason = 'MQTT_KEEP_ALIVE_TIMEOUT';
    else if (this.closedFor.has(client)) reason = this.closedFor.get(client)!;
    else if (this.closing) reason = 'SERVER_INITIATED_DISCONNECT';
    // A connection superseded by a newer one with the same client id changes nothing about the id.
    if (current) this.lastChange.set(client.id, { timestamp: Date.now(), disconnectReason: reason });
    this.presence(client, 'disconnected', reason);
  }

  private presence(client: Client, eventType: 'connected' | 'disconnected', disconnectReason?: DisconnectReason): void {
    if (eventType === 'connected') {
      this.connected.set(client.id, client);
      this.lastChange.set(client.id, { timestamp: Date.now() });
      this.sessionVersions.set(client.id, (this.sessionVersions.get(client.id) ?? -1) + 1);
    }
    // Wildcards in a client id cannot be a topic level; AWS IoT refuses such ids anyway.
    if (this.closing || /[+#]/.test(client.id)) return;
    const socket = client.conn as TLSSocket;
    const event = {
      clientId: client.id,
      timestamp: Date.now(),
      eventType,
      sessionIdentifier: `${client.id}-${this.sessionVersions.get(client.id) ?? 0}`,
      principalIdentifier: this.principalIdentifier(client),
      ...(eventType === 'connected' ? { ipAddress: socket.remoteAddress ?? '', versionNumber: this.sessionVersions.get(client.id) ?? 0 } : {}),
      ...(disconnectReason ? { clientInitiatedDisconnect: disconnectReason === 'CLIENT_INITIATED_DISCONNECT', disconnectReason } : {}),
      ...(eventType === 'disconnected' ? { versionNumber: this.sessionVersions.get(client.id) ?? 0 } : {}),
    };
    this.publish(`$aws/events/presence/${eventType}/${client.id}`, JSON.stringify(event), 1).catch((error: unknown) => {
      this.options.logger.debug({ err: String(error) }, 'presence event not published');
    });
  }
}

function toBytes(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (typeof payload === 'string') return Buffer.from(payload);
  return new Uint8Array();
}
