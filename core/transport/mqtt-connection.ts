import mqtt, { type IClientOptions, type IClientPublishOptions, type IConnackPacket, type IPublishPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { Clock } from '../clock.js';
import { TransportError, type AmoraError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { isThrottled, redactUrl, toConnectionError } from './mqtt-connect-errors.js';
import { ReconnectingLink, type LinkSession } from './reconnecting-link.js';
import type { ResolvedTls } from './resolved-tls.js';
import type { RetryPolicy } from './retry-policy.js';
import { UnacknowledgedPublishes, type PublishDone, type Unacknowledged } from './unacknowledged-publishes.js';

/**
 * One mqtt.js client kept connected by core's ReconnectingLink (mqtt.js itself only knows a fixed
 * `reconnectPeriod`, so it gets 0 and the link calls `connect()` again after the policy's backoff).
 * Shared by the transports that speak plain MQTT through mqtt.js (the generic MQTT kind, AWS IoT
 * Core's mqtt link); they add their protocol through the hooks.
 */


/** What the connection needs to know; built from the kind's options by each transport. */
export interface MqttConnectionSettings {
  /** Names the far end in log lines and errors. Default "MQTT broker". */
  readonly name?: string;
  /**
   * What a failing `onConnected` does (see ReconnectingLinkOptions): `report` (default) goes
   * online with the error in the status, `reconnect` drops the connection and tries again.
   */
  readonly setupFailure?: 'report' | 'reconnect';
  /** Brokers tried in turn (a standby after the primary); the first is the primary. */
  readonly urls: readonly string[];
  readonly clientId: string;
  readonly protocolVersion: 4 | 5;
  readonly keepaliveSeconds: number;
  readonly connectTimeoutMs: number;
  /** False keeps a persistent session, so QoS 1 messages queued while offline still arrive. */
  readonly clean: boolean;
  /** MQTT 5: how long the broker keeps a non-clean session after a disconnect. */
  readonly sessionExpirySeconds?: number;
  readonly username?: string;
  readonly password?: string;
  /** Our error for a failed attempt or a lost connection (`lost`: it was connected). Default: the generic MQTT wording. */
  readonly describeFailure?: (error: unknown, url: string, lost: boolean) => AmoraError;
  /** The last will, evaluated before every connect so its timestamp is fresh. */
  readonly will?: () => { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean };
  /**
   * Reads the TLS material before every attempt, so a certificate file that vanished fails that
   * attempt (retried with backoff) and a renewed one is picked up by the next.
   */
  readonly tls?: () => Promise<ResolvedTls>;
  /**
   * Messages (by topic) acknowledged only after the promise callbacks their handlers set off have
   * run, and after what those callbacks wrote (see afterCallbackWrites): the answers a
   * controller's callers await. The caller then resumes before mqtt.js builds and writes the
   * answer's PUBACK (a system call), and a command it sends at once leaves ahead of that PUBACK.
   * The order matters as much as the wait: Mosquitto reads one packet per connection per turn of
   * its loop, so a PUBACK ahead of the command in the same write held the command back a turn.
   * Elsewhere it costs: what the callbacks send next on another connection waits behind the
   * deferred PUBACK's write (measured: the next state of an agent in the same process, later),
   * and a device that answers a command at once already sends the answer ahead of the command's
   * PUBACK, in one write that a deferred PUBACK would split in two.
   */
  readonly deferAcknowledgement?: (topic: string) => boolean;
}

/** What a publish may set (the rest of mqtt.js's publish options are never needed here). */
export interface MqttPublishOptions {
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** MQTT 5 only (mqtt.js leaves them out on 3.1.1). */
  readonly properties?: IClientPublishOptions['properties'];
}

export interface MqttConnectionHooks {
  /** After every accepted CONNACK and before the status turns online (resubscribe, resync). */
  onConnected?(session: { readonly sessionPresent: boolean; readonly first: boolean }): Promise<void>;
  /** When a connection (or an attempt) ends for any reason other than stop(). */
  onDisconnected?(): void;
  onMessage(topic: string, payload: Uint8Array, packet: IPublishPacket): void;
}

export interface MqttConnectionDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

const STOP_TIMEOUT_MS = 5_000;

/** Where the events of the client go during one attempt. */
interface AttemptListener {
  onConnect?(connack: IConnackPacket): void;
  onClose(): void;
}

export class MqttConnection extends ReconnectingLink {
  private client: MqttClient | undefined;
  private clientUrl: string | undefined;
  private version: 4 | 5;
  private lastError: unknown;
  private listener: AttemptListener | undefined;
  /** Publishes waiting for their acknowledgement: one entry each instead of a `close` listener per publish on the client. */
  private readonly unacknowledged = new UnacknowledgedPublishes<MqttClient>();

  constructor(
    private readonly settings: MqttConnectionSettings,
    private readonly hooks: MqttConnectionHooks,
    deps: MqttConnectionDeps,
  ) {
    super({ name: settings.name ?? 'MQTT broker', endpoints: settings.urls, setupFailure: settings.setupFailure ?? 'report', label: redactUrl }, deps);
    this.version = settings.protocolVersion;
  }

  /** The MQTT version in use: 5 unless configured 4 or the broker only speaks 3.1.1 (aedes). */
  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  /** Publishes while connected. Resolves on PUBACK (QoS 1/2) or once written (QoS 0). */
  publish(topic: string, payload: string | Uint8Array, options: MqttPublishOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => this.send(topic, payload, options, settlePromise(resolve, reject)));
  }

  /**
   * `publish` with a callback, for a path a fleet takes on every update (a promise fewer there):
   * `done` is called once, without an error when `publish` would resolve, else with the
   * TransportError it would reject with; when not connected, before `send` returns.
   */
  send(topic: string, payload: string | Uint8Array, options: MqttPublishOptions, done: PublishDone): void {
    const client = this.client;
    if (!client || !client.connected || this.closing) {
      done(new TransportError('unavailable', 'MQTT client is not connected'));
      return;
    }
    // A loss before the PUBACK: mqtt.js keeps a copy for resending after a reconnect, but only
    // in memory, which a power cut or kill -9 loses. Failing lets the caller queue the message
    // in its (persistent) outbox; if both copies arrive, the duplicate is QoS 1's own.
    const entry = this.unacknowledged.add(client, topic, done);
    // mqtt.js spreads the options into its defaults ({qos, retain, dup}) on every publish; on
    // Node 20 a key the defaults lack (even `properties: undefined`) makes that spread take
    // microseconds instead of nanoseconds, so `properties` is there only when it is needed.
    const { qos, retain, properties } = options;
    const settled: IClientPublishOptions = properties === undefined ? { qos, retain } : { qos, retain, properties };
    client.publish(topic, payload as Buffer | string, settled, (error) => this.acknowledged(entry, error));
  }

  private acknowledged(entry: Unacknowledged<MqttClient>, error: Error | undefined): void {
    // Told already when the connection was lost: a resent copy's PUBACK tells nobody.
    this.unacknowledged.settle(entry, error ? new TransportError('transport_failed', `publish to ${entry.topic} failed: ${error.message}`, { cause: error }) : undefined);
  }

  /** Subscribes; refuses with a TransportError when the broker denies any filter. */
  async subscribe(filters: Readonly<Record<string, { qos: 0 | 1 | 2 }>>): Promise<void> {
    const client = this.requireClient();
    const grants: ISubscriptionGrant[] = await client.subscribeAsync({ ...filters });
    const denied = grants.filter((grant) => grant.qos >= 128).map((grant) => grant.topic);
    if (denied.length > 0) {
      throw new TransportError('transport_failed', `broker denied subscription to ${denied.join(', ')}`, { details: { topics: denied } });
    }
  }

  async unsubscribe(filters: readonly string[]): Promise<void> {
    if (this.client?.connected) await this.client.unsubscribeAsync([...filters]);
  }

  /**
   * Holds this connection's writes until the current turn of the event loop is over, so what is
   * sent in answer to a message (a command's response) leaves in one TCP segment with the
   * message's PUBACK: one system call and one wakeup of the broker instead of two.
   */
  coalesceWrites(): void {
    const stream = this.client?.stream as { cork?: () => void; uncork?: () => void } | undefined;
    if (!stream?.cork || !stream.uncork) return;
    stream.cork();
    setImmediate(() => stream.uncork!());
  }

  /** Destroys the socket without DISCONNECT, as a network failure would (tests, chaos drills). */
  interrupt(): void {
    this.client?.stream?.destroy();
  }

  protected async open(endpoint: string, lost: (error: unknown) => void): Promise<{ sessionPresent: boolean }> {
    const tls = this.settings.tls ? await this.settings.tls() : undefined;
    for (;;) {
      const client = this.clientFor(endpoint, tls);
      try {
        const connack = await this.connectOnce(client, lost);
        return { sessionPresent: connack.sessionPresent };
      } catch (error) {
        if (this.version !== 5 || !isProtocolRefusal(error) || this.stopRequested) throw error;
        // A 3.1.1-only broker (aedes): speak 3.1.1 from now on, right away. Features that need
        // MQTT 5 (response topics, correlation data) fall back to the per-device topics.
        this.logger.info({ url: redactUrl(endpoint) }, 'broker does not speak MQTT 5; using MQTT 3.1.1');
        this.version = 4;
        this.dropClient();
      }
    }
  }

  protected override setUp(session: LinkSession): Promise<void> {
    return this.hooks.onConnected?.(session) ?? Promise.resolve();
  }

  protected override onDisconnected(): void {
    this.hooks.onDisconnected?.();
  }

  protected describeFailure(error: unknown, endpoint: string, lost: boolean): AmoraError {
    return (this.settings.describeFailure ?? toConnectionError)(error, endpoint, lost);
  }

  protected override isThrottled(error: AmoraError): boolean {
    return isThrottled(error);
  }

  /** The socket is already closed when a connection is lost; mqtt.js keeps its store for the next connect. */
  protected release(): Promise<void> {
    return Promise.resolve();
  }

  protected async shutdown(): Promise<void> {
    this.listener = undefined;
    const client = this.client;
    if (!client) return;
    // Clean DISCONNECT (the broker then discards the will) once in-flight messages are acked;
    // forced if the broker does not answer in time.
    const force = !client.connected;
    const timer = setTimeout(() => client.end(true), STOP_TIMEOUT_MS);
    await client.endAsync(force).catch(() => undefined);
    clearTimeout(timer);
  }

  /**
   * Where the events of an accepted connection go, for as long as it lasts: made out here so it
   * keeps only `lost`, not the settled attempt's promise and resolvers.
   */
  private connectedListener(lost: (error: unknown) => void): AttemptListener {
    return {
      onClose: () => {
        this.listener = undefined;
        lost(this.takeLastError());
      },
    };
  }

  /** One CONNECT: resolves on CONNACK, rejects with why the socket closed before it. */
  private connectOnce(client: MqttClient, lost: (error: unknown) => void): Promise<IConnackPacket> {
    return new Promise<IConnackPacket>((resolve, reject) => {
      this.lastError = undefined;
      this.listener = {
        onConnect: (connack) => {
          this.lastError = undefined;
          this.listener = this.connectedListener(lost);
          resolve(connack);
        },
        onClose: () => {
          this.listener = undefined;
          reject(this.takeLastError() ?? new Error('connection closed'));
        },
      };
      const will = this.settings.will?.();
      if (will) client.options.will = will;
      client.connect();
      // mqtt.js never sets TCP_NODELAY; without it small QoS 1 exchanges wait on Nagle + delayed ACK.
      // net/tls sockets accept it before they connect; WebSocket streams (ws sets it itself) lack it.
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
    });
  }

  /** The client for `url`, with this attempt's TLS material; a new one when the broker changes. */
  private clientFor(url: string, tls: ResolvedTls | undefined): MqttClient {
    if (this.client && this.clientUrl !== url) this.dropClient();
    if (!this.client) {
      this.client = this.createClient(url);
      this.clientUrl = url;
    }
    // mqtt.js builds each connection's socket from client.options.
    Object.assign(this.client.options, tls ?? {});
    return this.client;
  }

  private dropClient(): void {
    this.client?.end(true);
    this.client = undefined;
    this.clientUrl = undefined;
  }

  private createClient(url: string): MqttClient {
    const { settings } = this;
    const options: IClientOptions = {
      clientId: settings.clientId,
      protocolVersion: this.version,
      clean: settings.clean,
      keepalive: settings.keepaliveSeconds,
      connectTimeout: settings.connectTimeoutMs,
      reconnectPeriod: 0,
      manualConnect: true,
      // We resubscribe ourselves when the session is gone, after our own hook logic.
      resubscribe: false,
      // mqtt.js re-arms its keepalive timer on every acknowledgement it receives by default (a
      // clearInterval and a setInterval per QoS 1 message); a PINGREQ each keepalive period
      // instead costs nothing per message and keeps the same liveness check.
      reschedulePings: false,
      // mqtt.js logs through `debug` about ten times per packet (a rest-argument array each, even
      // when disabled); DEBUG=mqttjs* still gets those lines.
      ...(mqttDebugWanted() ? {} : { log: noLog }),
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(this.version === 5 && !settings.clean ? { properties: { sessionExpiryInterval: settings.sessionExpirySeconds ?? 0 } } : {}),
    };
    const client = mqtt.connect(url, options);
    // mqtt.js calls handleMessage after a message's `message` listeners and sends the
    // acknowledgement (and reads the next packet) when it calls back.
    const deferred = settings.deferAcknowledgement;
    if (deferred) {
      client.handleMessage = (packet, callback) => {
        if (deferred(packet.topic)) afterCallbackWrites(callback);
        else callback();
      };
    }
    // Events of a client replaced (protocol fallback, another broker) are ignored.
    client.on('connect', (connack) => {
      // We never send topic aliases, yet mqtt.js builds a 1.5 KiB LRU cache (per client, per
      // CONNACK) for those an MQTT 5 broker offers (Mosquitto: 10). Without it a publish without
      // an alias, all we send, goes out the same (mqtt.js 5 _applyTopicAlias); it deletes the
      // cache itself at the next CONNACK.
      delete (client as unknown as { topicAliasSend?: unknown }).topicAliasSend;
      if (client === this.client) this.listener?.onConnect?.(connack);
    });
    client.on('close', () => {
      if (client === this.client) this.listener?.onClose();
      this.rejectUnacknowledged(client);
    });
    client.on('error', (error) => {
      if (client === this.client) this.lastError = error;
    });
    client.on('disconnect', (packet) => {
      if (client !== this.client) return;
      this.lastError = new TransportError('unavailable', `broker disconnected us (reason code ${packet.reasonCode ?? 0})`, {
        details: { reasonCode: packet.reasonCode },
      });
    });
    client.on('message', (topic, payload, packet) => client === this.client && this.hooks.onMessage(topic, payload, packet));
    return client;
  }

  private rejectUnacknowledged(client: MqttClient): void {
    this.unacknowledged.settleAll(client, (entry) => new TransportError('unavailable', `connection lost before the broker acknowledged ${entry.topic}`));
  }

  private takeLastError(): unknown {
    const error = this.lastError;
    this.lastError = undefined;
    return error;
  }

  private requireClient(): MqttClient {
    if (!this.client?.connected) throw new TransportError('unavailable', 'MQTT client is not connected');
    return this.client;
  }
}

const noLog = (): void => undefined;

/**
 * The callback of a publish that settles a promise. Made out here, so that it keeps the resolvers
 * only, not the topic and message of the call that made it (see UnacknowledgedPublishes).
 */
function settlePromise(resolve: () => void, reject: (error: TransportError) => void): PublishDone {
  return (error) => (error ? reject(error) : resolve());
}

const nextTick = (globalThis as { process?: { nextTick?: (task: () => void) => void } }).process?.nextTick;

/**
 * Runs `task` once the promise callbacks queued now have all run (however many hops a caller's
 * `await` takes) and the writes they made have been queued in order: Node runs a next-tick
 * callback only when the microtask queue is empty, and one queued from a microtask runs after the
 * ticks that mqtt.js queued meanwhile to flush those writes, or while they are still corked, so
 * behind them. A plain microtask was not enough: with a caller a few hops away it ran first, and
 * its PUBACK went out ahead of the caller's command in the same write. Browsers have no next
 * tick; there the task runs as a microtask.
 */
function afterCallbackWrites(task: () => void): void {
  queueMicrotask(nextTick ? () => nextTick(task) : task);
}

/** Whether DEBUG names mqtt.js's namespaces (Node only; browsers have no process.env). */
function mqttDebugWanted(): boolean {
  const debug = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.['DEBUG'];
  // debug's syntax: names or patterns split by commas or spaces; mqtt.js logs as mqttjs*, and a
  // lone `*` turns on every namespace (DEBUG=express:* does not name mqtt.js).
  return debug !== undefined && debug.split(/[\s,]+/).some((name) => name === '*' || name.startsWith('mqttjs'));
}

/** CONNACK "unacceptable protocol version" (3.1.1 code 1, as a 3.1.1 broker answers) or 5.0 code 132. */
export function isProtocolRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 1 || code === 132;
}
