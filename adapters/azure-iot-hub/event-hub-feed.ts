import rhea, { type Connection, type EventContext, type Message, type Receiver } from 'rhea';
import { Observable, Subject } from 'rxjs';
import {
  AmoraError,
  AuthenticationError,
  ReconnectingLink,
  TransportError,
  type Clock,
  type Logger,
  type RetryPolicy,
} from '../../core/index.js';
import { AmqpRequestLink } from './amqp-request-link.js';
import { eventHubConnectionInfo, type EventHubConnectionInfo } from './connection-string.js';
import { decodeHubEvent, type HubEvent, type RoutedEventData } from './hub-event.js';
import { createEventHubsSasToken } from './sas.js';

export interface EventHubFeedOptions {
  readonly connectionString: string;
  readonly consumerGroup: string;
  /** Start this long before now (ms): a restarted reader sees what happened while it was down. */
  readonly resumeOverlapMs: number;
  /** CA certificate(s) to trust for AMQPS instead of the system store (the emulator's CA). */
  readonly ca?: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly retryPolicy: RetryPolicy;
}

/** Credit each partition link keeps granted: events already on their way are never held back. */
const CREDIT_WINDOW = 300;
/** A `$cbs` or `$management` request may take this long. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Tokens live this long and are put again this long before they expire. */
const TOKEN_TTL_S = 3_600;
const TOKEN_RENEW_MARGIN_S = 600;
/** No frame from the far end for this long ends the connection (rhea sends heartbeats for ours). */
const IDLE_TIMEOUT_MS = 60_000;
/** stop() waits this long for the far end to confirm the close before dropping the socket. */
const CLOSE_WAIT_MS = 2_000;
const SELECTOR_FILTER = 'apache.org:selector-filter:string';
const SELECTOR_DESCRIPTOR = 0x468c00000004;
const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';
/** The AMQP data section's typecode: the body arrives as its bytes. */
const DATA_SECTION = 0x75;

/**
 * The controller's reader of the hub's Event Hub-compatible endpoint, on rhea (the AMQP library
 * `@azure/event-hubs` is built on) without the SDK's batching: the SDK hands an event that
 * reaches an idle reader over only after its fixed 20 ms read interval, 27 times the whole
 * MQTT path. Here each event is decoded into a {@link HubEvent} as its transfer arrives.
 *
 * One connection (AMQPS, or plain AMQP for `UseDevelopmentEmulator=true`): SASL ANONYMOUS, a
 * `$cbs` SAS token per link audience (put again before it expires), `$management` for the
 * partition ids, then one receiver link per partition with a credit window. The first links
 * start "now minus the overlap" (enqueued time); after a lost connection each partition resumes
 * after the last sequence number it delivered, so events retained meanwhile are read, not lost.
 * No checkpoints: what is older than the overlap is read from the twin instead.
 */
export class EventHubFeed extends ReconnectingLink {
  private readonly subject = new Subject<HubEvent>();
  private readonly info: EventHubConnectionInfo;
  private readonly startedAt: number;
  /** Per partition, the sequence number of the last event delivered. */
  private readonly positions = new Map<string, number>();
  private readonly container = rhea.create_container({ id: `amora-controller-${globalThis.crypto.randomUUID()}` });
  private connection: Connection | undefined;
  private requests: AmqpRequestLink[] = [];
  private renewal: { cancel(): void } | undefined;
  private openPartitions = 0;
  /** Why the far end closed a partition link of this connection, if it did: the connection's end is told by it. */
  private linkFailure: AmoraError | undefined;

  constructor(private readonly options: EventHubFeedOptions) {
    const info = eventHubConnectionInfo(options.connectionString);
    super(
      { name: 'Event Hub endpoint', endpoints: [`${info.host}:${info.port ?? (info.developmentEmulator ? 5672 : 5671)}`], setupFailure: 'reconnect' },
      { retryPolicy: options.retryPolicy, clock: options.clock, logger: options.logger },
    );
    this.info = info;
    this.startedAt = options.clock.now();
  }

  /** Every decoded event, live (hot: nothing is replayed to late subscribers). */
  get events$(): Observable<HubEvent> {
    return this.subject.asObservable();
  }

  /** Partition links open now. */
  get partitionsStarted(): number {
    return this.openPartitions;
  }

  protected open(endpoint: string, lost: (error: unknown) => void): Promise<{ readonly sessionPresent: boolean }> {
    const { info, options } = this;
    const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
    const connection = this.container.connect({
      host: info.host,
      hostname: info.host,
      port,
      ...(info.developmentEmulator ? { transport: 'tcp' as const } : { transport: 'tls' as const, servername: info.host, ...(options.ca ? { ca: options.ca } : {}) }),
      // SASL ANONYMOUS (Event Hubs authorizes through $cbs); rhea names the mechanism's user.
      username: info.keyName,
      idle_time_out: IDLE_TIMEOUT_MS,
      reconnect: false,
    });
    this.connection = connection;
    this.linkFailure = undefined;
    return new Promise((resolve, reject) => {
      let open = false;
      const ended = (context: EventContext): void => {
        const error = this.linkFailure ?? connectionError(context);
        if (open) lost(error);
        else reject(error);
      };
      connection.once('connection_open', () => {
        open = true;
        resolve({ sessionPresent: false });
      });
      connection.on('disconnected', ended);
      connection.on('connection_close', ended);
      connection.on('connection_error', () => undefined); // followed by connection_close, handled there
      connection.on('error', () => undefined); // a socket error: followed by disconnected
    });
  }

  protected override async setUp(): Promise<void> {
    const connection = this.connection!;
    const { entityPath } = this.info;
    const cbs = this.requestLink(connection, '$cbs');
    const management = this.requestLink(connection, `${entityPath}/$management`);
    const audiences = new Set<string>([`${this.info.endpoint}${entityPath}/$management`]);
    await this.putToken(cbs, `${this.info.endpoint}${entityPath}/$management`);
    const hub = await management.request({
      body: Buffer.from('[]'),
      application_properties: { operation: 'READ', name: entityPath, type: 'com.microsoft:eventhub', security_token: this.token(`${this.info.endpoint}${entityPath}`) },
    });
    if (hub.status !== 200) throw answerError('$management', hub.status, hub.description);
    const partitionIds = (hub.body as { partition_ids?: unknown } | null)?.partition_ids;
    if (!Array.isArray(partitionIds)) throw new TransportError('unavailable', '$management answered without partition ids');
    await Promise.all(
      partitionIds.map(async (id) => {
        const partitionId = String(id);
        const address = `${entityPath}/ConsumerGroups/${this.options.consumerGroup}/Partitions/${partitionId}`;
        audiences.add(`${this.info.endpoint}${address}`);
        await this.putToken(cbs, `${this.info.endpoint}${address}`);
        await this.openPartition(connection, partitionId, address);
      }),
    );
    // A refusal is an attach answered by a detach, often in the same read as the attach.
    if (this.linkFailure) throw this.linkFailure;
    this.renewTokens(cbs, [...audiences]);
  }

  protected release(): Promise<void> {
    const connection = this.detach();
    if (connection) socketOf(connection)?.destroy();
    return Promise.resolve();
  }

  protected async shutdown(): Promise<void> {
    const connection = this.detach();
    this.subject.complete();
    if (!connection || connection.is_closed()) return;
    // A clean close; a far end that does not answer in time gets its socket dropped.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socketOf(connection)?.destroy();
        resolve();
      }, CLOSE_WAIT_MS);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      connection.once('connection_close', done);
      connection.once('disconnected', done);
      connection.close();
    });
  }

  protected describeFailure(error: unknown, endpoint: string, lost: boolean): AmoraError {
    if (error instanceof AmoraError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new TransportError('unavailable', `Event Hub endpoint ${endpoint}: ${lost ? 'connection lost' : 'cannot connect'}: ${reason}`, { cause: error });
  }

  protected override isFinal(error: AmoraError): boolean {
    // A consumer group or hub that does not exist will not appear by retrying.
    return error.code === 'not_found';
  }

  /** Opens one partition's receiver link; resolves once the far end attached it. */
  private openPartition(connection: Connection, partitionId: string, address: string): Promise<void> {
    const last = this.positions.get(partitionId);
    const selector =
      last === undefined
        ? `amqp.annotation.x-opt-enqueued-time > '${this.startedAt - this.options.resumeOverlapMs}'`
        : `amqp.annotation.x-opt-sequence-number > '${last}'`;
    const receiver = connection.open_receiver({
      name: `${address}-${globalThis.crypto.randomUUID()}`,
      source: { address, filter: { [SELECTOR_FILTER]: rhea.types.wrap_described(selector, SELECTOR_DESCRIPTOR) } },
      credit_window: CREDIT_WINDOW,
      autoaccept: true,
    });
    receiver.on('message', (context: EventContext) => this.onMessage(partitionId, context.message!));
    return new Promise<void>((resolve, reject) => {
      let attached = false;
      receiver.once('receiver_open', () => {
        // Event Hubs refuses a link with an attach without a source, then a detach saying why.
        if (!remoteSourceOf(receiver)) return;
        attached = true;
        this.openPartitions++;
        resolve();
      });
      receiver.on('receiver_close', (context: EventContext) => {
        if (attached) this.openPartitions--;
        attached = false;
        if (context.connection !== this.connection) return;
        // The far end detached the link (refused it, or an entity or token problem): start over.
        this.linkFailure ??= linkError(receiver, partitionId);
        reject(this.linkFailure);
        this.connection.close();
      });
    });
  }

  private onMessage(partitionId: string, message: Message): void {
    const annotations = (message.message_annotations ?? {}) as Record<string, unknown>;
    const sequence = Number(annotations['x-opt-sequence-number']);
    if (Number.isSafeInteger(sequence)) {
      const last = this.positions.get(partitionId);
      if (last !== undefined && sequence <= last) return; // delivered before a reconnect
      this.positions.set(partitionId, sequence);
    }
    const decoded = decodeHubEvent(routedEventOf(message, annotations));
    if (decoded) this.subject.next(decoded);
  }

  private requestLink(connection: Connection, address: string): AmqpRequestLink {
    const link = new AmqpRequestLink(connection, address, REQUEST_TIMEOUT_MS);
    this.requests.push(link);
    return link;
  }

  private token(audience: string): string {
    return createEventHubsSasToken(audience, this.info.keyName, this.info.key, Math.floor(this.clock.now() / 1000) + TOKEN_TTL_S);
  }

  private async putToken(cbs: AmqpRequestLink, audience: string): Promise<void> {
    const answer = await cbs.request({
      body: this.token(audience),
      application_properties: { operation: 'put-token', name: audience, type: SAS_TOKEN_TYPE },
    });
    if (answer.status !== 200 && answer.status !== 202) throw answerError('$cbs', answer.status, answer.description);
  }

  /** Puts every audience's token again before the current ones expire, for as long as this connection lives. */
  private renewTokens(cbs: AmqpRequestLink, audiences: readonly string[]): void {
    this.renewal = this.clock.setTimeout(() => {
      Promise.all(audiences.map((audience) => this.putToken(cbs, audience))).then(
        () => this.renewTokens(cbs, audiences),
        (error: unknown) => {
          this.logger.warn({ err: { message: (error as Error).message } }, 'Event Hub token renewal failed; reconnecting');
          this.connection?.close();
        },
      );
    }, (TOKEN_TTL_S - TOKEN_RENEW_MARGIN_S) * 1000);
  }

  /** Forgets the connection (its timers, request links and events) and hands it over to be closed. */
  private detach(): Connection | undefined {
    this.renewal?.cancel();
    this.renewal = undefined;
    for (const link of this.requests) link.close();
    this.requests = [];
    this.openPartitions = 0;
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return undefined;
    // Quiet from now on (rhea prints an unhandled `disconnected` to the console).
    connection.removeAllListeners();
    for (const event of ['disconnected', 'connection_close', 'connection_error', 'error']) connection.on(event, () => undefined);
    return connection;
  }
}

/** An AMQP message of the endpoint in the shape {@link decodeHubEvent} reads. */
function routedEventOf(message: Message, annotations: Record<string, unknown>): RoutedEventData {
  const body = message.body as { typecode?: number; content?: unknown } | undefined;
  const enqueued = annotations['x-opt-enqueued-time'];
  return {
    body: body && typeof body === 'object' && body.typecode === DATA_SECTION ? body.content : message.body,
    properties: (message.application_properties ?? {}) as Record<string, unknown>,
    systemProperties: annotations,
    enqueuedTimeUtc: enqueued instanceof Date ? enqueued : new Date(Number(enqueued) || 0),
  };
}

function answerError(node: string, status: number, description: string): AmoraError {
  const message = `${node} answered ${status}: ${description}`;
  if (status === 401 || status === 403) return new AuthenticationError(`the Event Hub endpoint refused the credentials: ${message}`);
  if (status === 404) return new TransportError('not_found', message);
  return new TransportError('unavailable', message);
}

function linkError(receiver: Receiver, partitionId: string): AmoraError {
  const error = (receiver as unknown as { remote?: { detach?: { error?: { condition?: string; description?: string } } } }).remote?.detach?.error;
  const message = `partition ${partitionId}: ${error?.description ?? 'the link was closed'}`;
  if (error?.condition === 'amqp:unauthorized-access') return new AuthenticationError(message);
  if (error?.condition === 'amqp:not-found') return new TransportError('not_found', message);
  return new TransportError('unavailable', message);
}

function connectionError(context: EventContext): unknown {
  const error = (context as { error?: unknown }).error ?? context.connection.error;
  if (error instanceof Error) return error;
  const amqp = error as { condition?: string; description?: string } | undefined;
  return new Error(amqp?.description ?? amqp?.condition ?? 'the connection was closed');
}

function remoteSourceOf(receiver: Receiver): unknown {
  return (receiver as unknown as { remote?: { attach?: { source?: unknown } } }).remote?.attach?.source;
}

/** rhea keeps the socket on the connection without typing it. */
function socketOf(connection: Connection): { destroy(): void } | undefined {
  return (connection as unknown as { socket?: { destroy(): void } }).socket;
}
