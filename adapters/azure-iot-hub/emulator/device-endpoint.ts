import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import { Subject, type Observable } from 'rxjs';
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '../../../core/index.js';
import { IOT_HUB_LIMITS } from '../limits.js';
import { parseSasToken, sasResource, sasSignatureMatches } from '../sas.js';
import { certificateThumbprint } from './certificates.js';
import type { HubRegistry } from './hub-registry.js';
import { deviceTwinDocument, TwinUpdateError } from './twin-record.js';

/**
 * The device side of the emulator: an aedes broker that behaves like IoT Hub's MQTT endpoint for
 * the real azure-iot-device-mqtt client. It checks the username and client id, verifies SAS
 * tokens (or X.509 thumbprints) against the registry, answers twin GET/PATCH requests, delivers
 * desired-property notifications and direct-method requests to the one connected client of each
 * device (never through topic routing, so no device sees another's traffic), captures telemetry,
 * and refuses what IoT Hub refuses: QoS 2 and foreign topics close the connection, SUBACK grants
 * at most QoS 1, RETAIN is not stored, messages over 256 KB close the connection.
 */

/** One device-to-cloud message as captured. */
export interface TelemetryMessage {
  readonly deviceId: string;
  readonly body: Buffer;
  /** Application properties from the topic's property bag (e.g. `messageType`). */
  readonly properties: Readonly<Record<string, string>>;
  readonly contentType?: string;
  readonly contentEncoding?: string;
  readonly messageId?: string;
  /** Epoch ms. */
  readonly enqueuedTime: number;
}

/** A device connected (with the expiry of its SAS token, if it used one) or disconnected. */
export interface ConnectionEvent {
  readonly deviceId: string;
  readonly connected: boolean;
  /** Epoch seconds. */
  readonly tokenExpiresAt?: number;
}

/** A reported-properties patch the hub accepted. */
export interface ReportedPatch {
  readonly deviceId: string;
  readonly patch: JsonObject;
  /** The reported `$version` after it. */
  readonly version: number;
}

/** The device's answer to a direct method. */
export interface MethodResult {
  readonly status: number;
  readonly payload: JsonValue;
}

/** Why a method invocation got no answer: the device never connected, or did not answer in time. */
export class MethodInvocationError extends Error {
  override readonly name = 'MethodInvocationError';
  constructor(
    readonly status: 404 | 413 | 504,
    readonly errorCode: 'DeviceNotOnline' | 'GatewayTimeout' | 'MessageTooLarge',
    message: string,
  ) {
    super(message);
  }
}

export interface DeviceEndpointOptions {
  readonly registry: HubRegistry;
  /** Host names a token's resource or a username may name (with and without ports), lower case. */
  readonly hostNames: () => readonly string[];
  /** How many telemetry messages to keep for `telemetry()`. Default 1 000. */
  readonly telemetryBuffer?: number;
}

const METHODS_FILTER = '$iothub/methods/POST/#';
const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const TWIN_RESPONSE_FILTER = '$iothub/twin/res/#';

interface Session {
  client?: Client;
  readonly subscriptions: Set<string>;
}

interface PendingMethod {
  readonly deviceId: string;
  readonly resolve: (result: MethodResult) => void;
}

export class DeviceEndpoint {
  readonly broker: Aedes;
  private readonly registry: HubRegistry;
  private readonly hostNames: () => readonly string[];
  private readonly sessions = new Map<string, Session>();
  private readonly pendingMethods = new Map<string, PendingMethod>();
  private readonly readyWaiters = new Map<string, Set<() => void>>();
  private readonly telemetrySubject = new Subject<TelemetryMessage>();
  private readonly reportedSubject = new Subject<ReportedPatch>();
  private readonly connectionSubject = new Subject<ConnectionEvent>();
  private readonly captured: TelemetryMessage[] = [];
  private readonly telemetryBuffer: number;
  private throttledPatches = 0;
  private nextRid = 1;
  private readonly unsubscribeDesired: () => void;

  private constructor(broker: Aedes, options: DeviceEndpointOptions) {
    this.broker = broker;
    this.registry = options.registry;
    this.hostNames = options.hostNames;
    this.telemetryBuffer = options.telemetryBuffer ?? 1_000;
    broker.authenticate = (client, username, password, done) => this.authenticate(client, username, password, done);
    broker.authorizeSubscribe = (client, subscription, done) => done(null, this.authorizeSubscribe(client, subscription));
    broker.authorizePublish = (client, packet, done) => this.authorizePublish(client, packet, done);
    broker.on('subscribe', (subscriptions, client) => this.onSubscribe(subscriptions, client));
    broker.on('unsubscribe', (filters, client) => {
      for (const filter of filters) this.sessions.get(client.id)?.subscriptions.delete(filter);
    });
    broker.on('clientDisconnect', (client) => this.onDisconnect(client));
    this.unsubscribeDesired = this.registry.onDesiredChange((change) => {
      this.deliver(change.deviceId, DESIRED_FILTER, `$iothub/twin/PATCH/properties/desired/?$version=${change.version}`, {
        ...change.patch,
        $version: change.version,
      });
    });
  }

  static async create(options: DeviceEndpointOptions): Promise<DeviceEndpoint> {
    const broker = await Aedes.createBroker({ id: 'amora-azure-emulator', connectTimeout: 10_000 });
    return new DeviceEndpoint(broker, options);
  }

  /** Serves one accepted connection (a TLS socket, or a WebSocket stream with its upgrade request). */
  handle(stream: Duplex, request?: IncomingMessage): void {
    this.broker.handle(stream, request);
  }

  /** Every captured device-to-cloud message, live. */
  get telemetry$(): Observable<TelemetryMessage> {
    return this.telemetrySubject.asObservable();
  }

  /** Devices connecting and disconnecting, live. */
  get connections$(): Observable<ConnectionEvent> {
    return this.connectionSubject.asObservable();
  }

  /** Every accepted reported-properties patch, live (what devices send, exactly). */
  get reportedPatches$(): Observable<ReportedPatch> {
    return this.reportedSubject.asObservable();
  }

  /** The last captured messages, optionally of one device. */
  telemetry(deviceId?: string): readonly TelemetryMessage[] {
    return deviceId === undefined ? [...this.captured] : this.captured.filter((m) => m.deviceId === deviceId);
  }

  isConnected(deviceId: string): boolean {
    return this.sessions.get(deviceId)?.client !== undefined;
  }

  /** Resolves once the device is connected and subscribed to desired-property or method requests (tests). */
  async whenSubscribed(deviceId: string, what: 'desired' | 'methods', timeoutMs = 10_000): Promise<void> {
    if (!(await this.waitUntilSubscribed(deviceId, what === 'desired' ? DESIRED_FILTER : METHODS_FILTER, timeoutMs))) {
      throw new Error(`device ${deviceId} did not subscribe to ${what} within ${timeoutMs} ms`);
    }
  }

  /** Answer the next `count` reported-property patches with 429, as a throttled hub does. */
  throttleReportedPatches(count: number): void {
    this.throttledPatches = count;
  }

  /** Drops a device's connection, as a network failure or a hub-side restart would. */
  disconnect(deviceId: string): void {
    const client = this.sessions.get(deviceId)?.client;
    client?.conn.destroy();
  }

  /**
   * Invokes a direct method: waits up to `connectTimeoutMs` for the device to be connected and
   * subscribed to methods (404 DeviceNotOnline otherwise), then up to `responseTimeoutMs` for its
   * answer (504 GatewayTimeout otherwise).
   */
  async invokeMethod(
    deviceId: string,
    methodName: string,
    payload: JsonValue,
    timeouts: { readonly connectTimeoutMs: number; readonly responseTimeoutMs: number },
  ): Promise<MethodResult> {
    return this.invokeRawMethod(deviceId, methodName, Buffer.from(JSON.stringify(payload)), timeouts);
  }

  /**
   * Like invokeMethod with the request body given as bytes, for tests of malformed payloads
   * (the REST API can only carry JSON). The hub's 128 KB limit still applies (413).
   */
  async invokeRawMethod(
    deviceId: string,
    methodName: string,
    body: Buffer,
    timeouts: { readonly connectTimeoutMs: number; readonly responseTimeoutMs: number },
  ): Promise<MethodResult> {
    if (body.length > IOT_HUB_LIMITS.methodPayloadBytes) {
      throw new MethodInvocationError(413, 'MessageTooLarge', 'method payload is larger than 128 KB');
    }
    if (!(await this.waitUntilSubscribed(deviceId, METHODS_FILTER, timeouts.connectTimeoutMs))) {
      throw new MethodInvocationError(404, 'DeviceNotOnline', 'Timed out waiting for device to connect.');
    }
    const rid = (this.nextRid++).toString(16);
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingMethods.delete(rid);
        reject(new MethodInvocationError(504, 'GatewayTimeout', 'Timed out waiting for the response from device.'));
      }, timeouts.responseTimeoutMs);
      this.pendingMethods.set(rid, {
        deviceId,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      });
      this.deliverBytes(deviceId, METHODS_FILTER, `$iothub/methods/POST/${methodName}/?$rid=${rid}`, body);
    });
  }

  async close(): Promise<void> {
    this.unsubscribeDesired();
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const refuse = (returnCode: 2 | 4 | 5, message: string): void => {
      const error = new Error(message) as AuthenticateError;
      error.returnCode = returnCode as AuthenticateError['returnCode'];
      done(error, false);
    };
    const identity = parseUsername(username ?? '');
    if (!identity) return refuse(4, 'username must be {hub-host}/{deviceId}/?api-version=…');
    if (identity.clientId !== client.id) return refuse(2, 'client id must equal the device id in the username');
    if (identity.clientId.includes('/')) return refuse(2, 'modules are not emulated');
    if (!this.hostNames().includes(identity.host.toLowerCase())) return refuse(5, 'username names another hub');
    const device = this.registry.getDevice(identity.clientId);
    if (!device || device.status !== 'enabled') return refuse(5, 'device unknown or disabled');
    let tokenExpiresAt: number | undefined;

    if (device.authentication.type === 'sas') {
      const fields = parseSasToken(password?.toString('utf8') ?? '');
      if (!fields) return refuse(4, 'password must be a SharedAccessSignature');
      const resource = sasResource(fields).toLowerCase();
      const expected = this.hostNames().map((host) => `${host}/devices/${device.deviceId.toLowerCase()}`);
      if (!expected.includes(resource)) return refuse(5, 'token resource does not name this device');
      if (fields.se * 1000 <= Date.now()) return refuse(5, 'token expired');
      const keys = fields.skn
        ? policyKeys(this.registry, fields.skn)
        : [device.authentication.primaryKey, device.authentication.secondaryKey];
      if (!keys.some((key) => sasSignatureMatches(fields, key))) return refuse(5, 'token signature does not match');
      tokenExpiresAt = fields.se;
    } else if (device.authentication.type === 'selfSigned') {
      const thumbprint = peerThumbprint(client);
      const allowed = [device.authentication.primaryThumbprint, device.authentication.secondaryThumbprint];
      if (!thumbprint || !allowed.includes(thumbprint)) return refuse(5, 'client certificate does not match the device');
    } else if (!signedByHubCa(client, device.deviceId)) {
      return refuse(5, "client certificate is not signed by the hub's CA for this device id");
    }

    let session = this.sessions.get(device.deviceId);
    if (!session || client.clean) {
      session = { subscriptions: new Set() };
      this.sessions.set(device.deviceId, session);
    }
    session.client = client;
    this.registry.setPresence(device.deviceId, true);
    done(null, true);
    this.connectionSubject.next({ deviceId: device.deviceId, connected: true, ...(tokenExpiresAt === undefined ? {} : { tokenExpiresAt }) });
    this.notifyReady(device.deviceId);
  }

  private authorizeSubscribe(client: Client, subscription: Subscription): Subscription | null {
    const allowed = [`devices/${client.id}/messages/devicebound/#`, TWIN_RESPONSE_FILTER, DESIRED_FILTER, METHODS_FILTER];
    if (!allowed.includes(subscription.topic)) return null;
    // IoT Hub grants at most QoS 1. aedes computes the SUBACK before this hook, so a QoS 2 request
    // still reads "granted 2"; what is stored and delivered is QoS 1 at most.
    return { ...subscription, qos: subscription.qos > 1 ? 1 : subscription.qos };
  }

  private onSubscribe(subscriptions: readonly Subscription[], client: Client): void {
    const session = this.sessions.get(client.id);
    if (!session) return;
    for (const subscription of subscriptions) session.subscriptions.add(subscription.topic);
    this.notifyReady(client.id);
  }

  private onDisconnect(client: Client): void {
    const session = this.sessions.get(client.id);
    if (!session || session.client !== client) return;
    session.client = undefined;
    if (client.clean) this.sessions.delete(client.id);
    this.registry.setPresence(client.id, false);
    this.connectionSubject.next({ deviceId: client.id, connected: false });
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    if (!client) return done(null);
    if (packet.qos === 2) return done(new Error('QoS 2 is not supported by IoT Hub'));
    // IoT Hub does not store retained messages.
    packet.retain = false;
    const topic = packet.topic;
    const deviceId = client.id;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);

    const eventsPrefix = `devices/${deviceId}/messages/events/`;
    if (topic.startsWith(eventsPrefix) || topic === `devices/${deviceId}/messages/events`) {
      if (payload.length > IOT_HUB_LIMITS.messageBytes) return done(new Error('message larger than 256 KB'));
      this.capture(deviceId, topic.slice(eventsPrefix.length), payload);
      return done(null);
    }
    const [path, query] = splitQuery(topic);
    const rid = query.get('$rid');
    if (path === '$iothub/twin/GET/' && rid) {
      this.twinResponse(client, 200, rid, deviceTwinDocument(this.registry.requireDevice(deviceId).twin));
      return done(null);
    }
    if (path === '$iothub/twin/PATCH/properties/reported/' && rid) {
      this.patchReported(client, rid, payload);
      return done(null);
    }
    const methodResponse = /^\$iothub\/methods\/res\/(\d+)\/$/.exec(path);
    if (methodResponse && rid) {
      const pending = this.pendingMethods.get(rid);
      if (pending && pending.deviceId === deviceId) {
        this.pendingMethods.delete(rid);
        pending.resolve({ status: Number(methodResponse[1]), payload: parseJsonOrText(payload) });
      }
      return done(null);
    }
    done(new Error(`topic not allowed for devices: ${topic}`));
  }

  private patchReported(client: Client, rid: string, payload: Buffer): void {
    if (this.throttledPatches > 0) {
      this.throttledPatches--;
      this.twinResponse(client, 429, rid, { errorCode: 429001, message: 'IoT Hub throttled the request (emulated).' });
      return;
    }
    let patch: unknown;
    try {
      patch = JSON.parse(payload.toString('utf8'));
    } catch {
      this.twinResponse(client, 400, rid, { errorCode: 400004, message: 'reported properties patch is not valid JSON' });
      return;
    }
    if (!isJsonObject(patch)) {
      this.twinResponse(client, 400, rid, { errorCode: 400004, message: 'reported properties patch must be a JSON object' });
      return;
    }
    try {
      const version = this.registry.patchReported(client.id, patch);
      this.publishTo(client, `$iothub/twin/res/204/?$rid=${rid}&$version=${version}`, Buffer.alloc(0));
      this.reportedSubject.next({ deviceId: client.id, patch, version });
    } catch (error) {
      const status = error instanceof TwinUpdateError ? error.status : 500;
      this.twinResponse(client, status, rid, { errorCode: status * 1000 + 4, message: (error as Error).message });
    }
  }

  private twinResponse(client: Client, status: number, rid: string, body: JsonObject): void {
    this.publishTo(client, `$iothub/twin/res/${status}/?$rid=${rid}`, Buffer.from(JSON.stringify(body)));
  }

  /** Sends to the device's connected client if it subscribed to `filter` (QoS 0, as IoT Hub does). */
  private deliver(deviceId: string, filter: string, topic: string, body: JsonValue): void {
    this.deliverBytes(deviceId, filter, topic, Buffer.from(JSON.stringify(body)));
  }

  private deliverBytes(deviceId: string, filter: string, topic: string, body: Buffer): void {
    const session = this.sessions.get(deviceId);
    if (!session?.client || !session.subscriptions.has(filter)) return;
    this.publishTo(session.client, topic, body);
  }

  private publishTo(client: Client, topic: string, payload: Buffer): void {
    client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false } as AedesPublishPacket, () => undefined);
  }

  private capture(deviceId: string, propertyBag: string, body: Buffer): void {
    const properties: Record<string, string> = {};
    let contentType: string | undefined;
    let contentEncoding: string | undefined;
    let messageId: string | undefined;
    for (const [key, value] of new URLSearchParams(propertyBag.replace(/\/$/, ''))) {
      if (key === '$.ct') contentType = value;
      else if (key === '$.ce') contentEncoding = value;
      else if (key === '$.mid') messageId = value;
      else if (!key.startsWith('$.')) properties[key] = value;
    }
    const message: TelemetryMessage = {
      deviceId,
      body,
      properties,
      enqueuedTime: Date.now(),
      ...(contentType === undefined ? {} : { contentType }),
      ...(contentEncoding === undefined ? {} : { contentEncoding }),
      ...(messageId === undefined ? {} : { messageId }),
    };
    this.captured.push(message);
    if (this.captured.length > this.telemetryBuffer) this.captured.shift();
    this.telemetrySubject.next(message);
  }

  /**
   * Resolves true once the device is connected and subscribed to `filter` (what the hub needs to
   * deliver to it), or false after `timeoutMs`.
   */
  private waitUntilSubscribed(deviceId: string, filter: string, timeoutMs: number): Promise<boolean> {
    const ready = (): boolean => {
      const session = this.sessions.get(deviceId);
      return session?.client !== undefined && session.subscriptions.has(filter);
    };
    if (ready()) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let waiters = this.readyWaiters.get(deviceId);
      if (!waiters) this.readyWaiters.set(deviceId, (waiters = new Set()));
      const check = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      waiters.add(check);
    });
  }

  private notifyReady(deviceId: string): void {
    for (const check of this.readyWaiters.get(deviceId) ?? []) check();
  }
}

/** `{host}/{clientId}/?api-version=…` → its parts; undefined when it does not have that shape. */
function parseUsername(username: string): { host: string; clientId: string } | undefined {
  const query = username.indexOf('/?');
  const path = query >= 0 ? username.slice(0, query) : username.replace(/\/$/, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) return undefined;
  return { host: path.slice(0, slash), clientId: path.slice(slash + 1) };
}

function splitQuery(topic: string): [string, URLSearchParams] {
  const at = topic.indexOf('?');
  return at < 0 ? [topic, new URLSearchParams()] : [topic.slice(0, at), new URLSearchParams(topic.slice(at + 1))];
}

function parseJsonOrText(payload: Buffer): JsonValue {
  const text = payload.toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function policyKeys(registry: HubRegistry, keyName: string): string[] {
  const policy = registry.policy(keyName);
  return policy?.rights.includes('DeviceConnect') ? [policy.primaryKey, policy.secondaryKey] : [];
}

/** The TLS socket of a client, or the one under its WebSocket. */
function tlsSocket(client: Client): Partial<TLSSocket> {
  return (client.req?.socket ?? client.conn) as Partial<TLSSocket>;
}

/**
 * A CA-signed device's check: TLS verified the client certificate's chain against the hub's CA
 * (the server trusts only that CA) and its common name is the device id, as IoT Hub requires.
 */
function signedByHubCa(client: Client, deviceId: string): boolean {
  const socket = tlsSocket(client);
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return false;
  return socket.getPeerCertificate().subject?.CN === deviceId;
}

/** SHA-1 thumbprint of the client certificate on a TLS socket, or on the socket under a WebSocket. */
function peerThumbprint(client: Client): string | undefined {
  const socket = tlsSocket(client);
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const certificate = socket.getPeerCertificate();
  return certificate?.raw ? certificateThumbprint(certificate.raw) : undefined;
}
