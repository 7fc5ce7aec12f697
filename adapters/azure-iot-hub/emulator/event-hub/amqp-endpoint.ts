import { once } from 'node:events';
import type { AddressInfo, Server, Socket } from 'node:net';
import rhea, { type Connection, type EventContext, type Message, type Receiver, type Sender } from 'rhea';
import { timingSafeEqual } from 'node:crypto';
import { parseSasToken, sasResource, signEventHubsSas, type SasTokenFields } from '../../sas.js';
import type { HubRegistry } from '../hub-registry.js';
import { parseEventPosition, startsAt } from './event-position.js';
import type { EventStore, StoredEvent } from './event-store.js';

/**
 * The AMQP 1.0 side of the emulator's Event Hub-compatible endpoint, on `rhea` (the library the
 * Azure SDKs use), serving what `@azure/event-hubs` consumers do:
 *
 * - SASL ANONYMOUS, then a `$cbs` `put-token` with a policy SAS token (the hub's `iothubowner`
 *   or `service` keys) before every link; links attached without one are refused;
 * - `$management` READ requests for the hub (`com.microsoft:eventhub`: name, partition ids) and a
 *   partition (`com.microsoft:partition`: sequence numbers, offset, last enqueued time);
 * - receiver links on `{hub}/ConsumerGroups/{group}/Partitions/{id}`, starting where their
 *   selector filter says, sending each event with its `x-opt-*` and `iothub-*` annotations as
 *   credit allows.
 */
export interface AmqpEndpointOptions {
  readonly store: EventStore;
  readonly registry: HubRegistry;
  /** The Event Hub name (`EntityPath`): the IoT Hub's name. */
  readonly hubName: string;
  /** Consumer groups besides `$Default`. */
  readonly consumerGroups: readonly string[];
  readonly createdAt: number;
}

const CBS = '$cbs';
const MANAGEMENT = '$management';
const SELECTOR_FILTER = 'apache.org:selector-filter:string';

interface ConnectionState {
  /** Link addresses (lower case) the connection holds a valid token for: a token's audience covers its sub-paths. */
  readonly grants: string[];
  /** Senders of the request/response reply links, by link name and target address (the requests' `reply_to`). */
  readonly replies: Map<string, Sender>;
}

export class AmqpEndpoint {
  private readonly container = rhea.create_container({ id: 'amora-iothub-eventhub-emulator' });
  private readonly states = new WeakMap<Connection, ConnectionState>();
  private readonly sockets = new Set<Socket>();
  private readonly servers: Server[] = [];
  private readonly consumerGroups: Set<string>;
  private receivers = 0;
  private closing = false;

  constructor(private readonly options: AmqpEndpointOptions) {
    this.consumerGroups = new Set(['$default', ...options.consumerGroups.map((group) => group.toLowerCase())]);
    this.container.sasl_server_mechanisms.enable_anonymous();
    this.container.on('connection_open', (context: EventContext) => {
      this.states.set(context.connection, { grants: [], replies: new Map() });
      tolerateLateSettlements(context.connection);
    });
    this.container.on('sender_open', (context: EventContext) => this.onSenderOpen(context.sender!));
    this.container.on('receiver_open', (context: EventContext) => this.onReceiverOpen(context.receiver!));
    this.container.on('message', (context: EventContext) => this.onRequest(context));
    // Errors of one connection (a client that vanished) are that connection's business.
    this.container.on('error', () => undefined);
    this.container.on('disconnected', () => undefined);
    // Any other protocol error ends that connection (the client reconnects); not worth a console line.
    this.container.on('protocol_error', () => undefined);
  }

  /** Listens for plain AMQP (`transport: 'tcp'`, what `UseDevelopmentEmulator=true` clients use) or AMQPS. */
  async listen(port: number, host: string, tls?: { readonly key: string; readonly cert: string }): Promise<number> {
    const server = (
      tls ? this.container.listen({ transport: 'tls', port, host, key: tls.key, cert: tls.cert }) : this.container.listen({ port, host })
    ) as unknown as Server;
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.servers.push(server);
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** Destroys every client connection (a network fault, from the server side); clients may reconnect. */
  dropConnections(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    return count;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Partition receiver links open now. */
  get receiverCount(): number {
    return this.receivers;
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.dropConnections();
    await closed;
  }

  private state(connection: Connection): ConnectionState {
    let state = this.states.get(connection);
    if (!state) {
      state = { grants: [], replies: new Map() };
      this.states.set(connection, state);
    }
    return state;
  }

  /** The client opened a receiving link: a request/response reply link, or a partition reader. */
  private onSenderOpen(sender: Sender): void {
    const address = sender.source?.address ?? '';
    const target = sender.target?.address;
    const state = this.state(sender.connection);
    if (address === CBS || address === MANAGEMENT || address.toLowerCase() === `${this.options.hubName.toLowerCase()}/${MANAGEMENT}`) {
      sender.set_source({ address });
      // Clients name the reply link after their `reply_to` (core-amqp), or give it that target address.
      for (const key of new Set([sender.name, target].filter((value): value is string => typeof value === 'string' && value !== ''))) {
        state.replies.set(key, sender);
        sender.on('sender_close', () => state.replies.delete(key));
      }
      return;
    }
    const match = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i.exec(address);
    if (!match) return refuse(sender, 'amqp:not-found', `no messaging entity at '${address}'`);
    const [, hub, group, partitionId] = match as unknown as [string, string, string, string];
    if (hub.toLowerCase() !== this.options.hubName.toLowerCase()) return refuse(sender, 'amqp:not-found', `the messaging entity '${hub}' could not be found`);
    if (!this.consumerGroups.has(group.toLowerCase())) return refuse(sender, 'amqp:not-found', `the consumer group '${group}' could not be found`);
    if (!this.options.store.hasPartition(partitionId)) return refuse(sender, 'amqp:not-found', `the partition '${partitionId}' could not be found`);
    if (!isGranted(state, address)) return refuse(sender, 'amqp:unauthorized-access', `no valid token was put on $cbs for '${address}'`);
    let selector: string | undefined;
    try {
      selector = selectorOf(sender.source?.filter);
      const position = parseEventPosition(selector);
      sender.set_source({ address, ...(sender.source?.filter ? { filter: sender.source.filter } : {}) });
      this.stream(sender, partitionId, position);
    } catch (error) {
      refuse(sender, 'amqp:invalid-field', (error as Error).message);
    }
  }

  /** Sends the partition's events from `position` on, as credit allows, until the link closes. */
  private stream(sender: Sender, partitionId: string, position: ReturnType<typeof parseEventPosition>): void {
    const store = this.options.store;
    const starts = startsAt(position, store.info(partitionId).lastEnqueuedSequenceNumber);
    const queue: StoredEvent[] = store.retained(partitionId).filter(starts);
    const pump = (): void => {
      while (queue.length > 0 && sender.is_open() && sender.sendable()) sender.send(toAmqpMessage(queue.shift()!));
    };
    const unsubscribe = store.onAppend(partitionId, (event) => {
      if (!starts(event)) return;
      queue.push(event);
      pump();
    });
    this.receivers++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.receivers--;
      unsubscribe();
      queue.length = 0;
    };
    sender.on('sendable', pump);
    sender.on('sender_close', end);
    sender.on('sender_error', end);
    sender.session.on('session_close', end);
    sender.connection.on('disconnected', end);
    sender.connection.on('connection_close', end);
  }

  private onReceiverOpen(receiver: Receiver): void {
    const address = receiver.target?.address ?? '';
    if (address === CBS || address === MANAGEMENT || address.toLowerCase() === `${this.options.hubName.toLowerCase()}/${MANAGEMENT}`) {
      receiver.set_target({ address });
      return;
    }
    refuse(receiver, 'amqp:not-implemented', 'this endpoint only serves consumers (the hub routes device messages to it)');
  }

  /** A request on `$cbs` or `$management`: answered on the reply link named by `reply_to`. */
  private onRequest(context: EventContext): void {
    const receiver = context.receiver!;
    const request = context.message!;
    const state = this.state(context.connection);
    const address = receiver.target?.address ?? '';
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    const answer = (status: number, description: string, body?: unknown): void => {
      const reply = typeof request.reply_to === 'string' ? state.replies.get(request.reply_to) : undefined;
      if (!reply) return;
      const message: Message = {
        correlation_id: request.message_id,
        application_properties: { 'status-code': status, 'status-description': description },
        body: body ?? null,
      };
      reply.send(message);
    };
    if (address === CBS) {
      if (properties['operation'] !== 'put-token') return answer(400, `unsupported $cbs operation ${String(properties['operation'])}`);
      const audience = this.verifyToken(typeof request.body === 'string' ? request.body : '');
      if (!audience) return answer(401, 'InvalidSignature: the token is invalid, expired, or lacks ServiceConnect');
      state.grants.push(audience);
      return answer(202, 'Accepted');
    }
    const token = typeof properties['security_token'] === 'string' ? properties['security_token'] : '';
    if (!this.verifyToken(token)) return answer(401, 'Unauthorized: a valid security_token is required');
    if (properties['operation'] !== 'READ') return answer(400, `unsupported $management operation ${String(properties['operation'])}`);
    if (String(properties['name']).toLowerCase() !== this.options.hubName.toLowerCase()) return answer(404, `the messaging entity '${String(properties['name'])}' could not be found`);
    const { store } = this.options;
    if (properties['type'] === 'com.microsoft:eventhub') {
      return answer(200, 'OK', {
        name: this.options.hubName,
        type: 'com.microsoft:eventhub',
        created_at: new Date(this.options.createdAt),
        partition_count: store.partitionCount,
        partition_ids: store.partitionIds,
      });
    }
    if (properties['type'] === 'com.microsoft:partition') {
      const partition = String(properties['partition']);
      if (!store.hasPartition(partition)) return answer(404, `the partition '${partition}' could not be found`);
      const info = store.info(partition);
      return answer(200, 'OK', {
        name: this.options.hubName,
        type: 'com.microsoft:partition',
        partition,
        begin_sequence_number: rhea.types.wrap_long(info.beginningSequenceNumber),
        last_enqueued_sequence_number: rhea.types.wrap_long(info.lastEnqueuedSequenceNumber),
        last_enqueued_offset: String(info.lastEnqueuedOffset),
        last_enqueued_time_utc: new Date(info.lastEnqueuedTime),
        is_partition_empty: info.isEmpty,
      });
    }
    answer(400, `unsupported $management type ${String(properties['type'])}`);
  }

  /**
   * Checks a policy SAS token (signature, expiry, a policy with ServiceConnect, an audience on this
   * hub) and returns the entity path it covers, lower case; undefined when it is not good.
   */
  private verifyToken(token: string): string | undefined {
    const fields = parseSasToken(token);
    if (!fields?.skn || fields.se * 1000 <= Date.now()) return undefined;
    const policy = this.options.registry.policy(fields.skn);
    if (!policy?.rights.includes('ServiceConnect')) return undefined;
    if (!eventHubsSignatureMatches(fields, policy.primaryKey) && !eventHubsSignatureMatches(fields, policy.secondaryKey)) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(new URL(sasResource(fields)).pathname).replace(/^\/+|\/+$/g, '').toLowerCase();
    } catch {
      path = sasResource(fields).toLowerCase();
    }
    const hub = this.options.hubName.toLowerCase();
    return path === hub || path.startsWith(`${hub}/`) ? path : undefined;
  }
}

/** True when `fields.sig` is the Event Hubs signature of the token under `key` (constant-time compare). */
function eventHubsSignatureMatches(fields: SasTokenFields, key: string): boolean {
  const expected = Buffer.from(signEventHubsSas(fields.sr, fields.se, key));
  let actual: Buffer;
  try {
    actual = Buffer.from(decodeURIComponent(fields.sig));
  } catch {
    return false;
  }
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * rhea clients settle deliveries that arrive after they ended a session (autoaccept), so a
 * `disposition` or `flow` can name a channel the server already released. Event Hubs ignores
 * those; rhea would call it a protocol error and end the connection, which can leave the
 * client's own close waiting forever. Such frames are dropped here (rhea has no option for it).
 */
function tolerateLateSettlements(connection: Connection): void {
  const internals = connection as unknown as Record<string, unknown> & { remote_channel_map: Record<number, unknown> };
  for (const name of ['on_disposition', 'on_flow']) {
    const original = internals[name] as ((frame: { channel: number }) => void) | undefined;
    if (typeof original !== 'function') continue;
    internals[name] = function (this: typeof internals, frame: { channel: number }) {
      if (this.remote_channel_map[frame.channel]) original.call(this, frame);
    };
  }
}

function isGranted(state: ConnectionState, address: string): boolean {
  const path = address.toLowerCase();
  return state.grants.some((grant) => path === grant || path.startsWith(`${grant}/`));
}

/** The selector string of an attach's filter set (described values arrive wrapped or unwrapped). */
function selectorOf(filter: unknown): string | undefined {
  if (!filter || typeof filter !== 'object') return undefined;
  const entry = (filter as Record<string, unknown>)[SELECTOR_FILTER];
  let value: unknown = entry;
  for (let depth = 0; depth < 4 && value !== null && typeof value === 'object'; depth++) value = (value as { value?: unknown }).value;
  if (entry !== undefined && typeof value !== 'string') throw new Error('the selector filter carries no string');
  return typeof value === 'string' ? value : undefined;
}

function refuse(link: Sender | Receiver, condition: string, description: string): void {
  link.close({ condition, description });
}

function toAmqpMessage(event: StoredEvent): Message {
  return {
    body: rhea.message.data_section(event.body),
    ...(event.contentType === undefined ? {} : { content_type: event.contentType }),
    ...(event.contentEncoding === undefined ? {} : { content_encoding: event.contentEncoding }),
    ...(event.messageId === undefined ? {} : { message_id: event.messageId }),
    ...(event.correlationId === undefined ? {} : { correlation_id: event.correlationId }),
    application_properties: { ...event.properties },
    message_annotations: {
      ...event.annotations,
      'x-opt-sequence-number': rhea.types.wrap_long(event.sequenceNumber),
      'x-opt-offset': String(event.offset),
      'x-opt-enqueued-time': new Date(event.enqueuedTime),
    },
  };
}
