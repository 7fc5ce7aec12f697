import { inject, injectable, optional } from 'inversify';
import { Subject, type Observable } from 'rxjs';
import {
  BufferedSender,
  encodeResponseOrError,
  ExponentialBackoffRetryPolicy,
  silentLogger,
  systemClock,
  TOKENS,
  type Clock,
  type CommandResponse,
  type ConnectionStatus,
  type DesiredUpdate,
  type DeviceTransport,
  type InboundCommand,
  type JsonObject,
  type Logger,
  type RetryPolicy,
  type StateSnapshot,
  type TelemetryBatch,
  type TransportCapabilities,
} from '../../core/index.js';
import { HubConnection } from './hub-connection.js';
import type { WsHubOptions } from './options.js';
import { commandPayload, encodeFrame, type ClientFrame, type HubFrame } from './protocol.js';

/** What respond() needs to route an answer: the hub's id of the controller that asked. */
interface HubCommandContext {
  readonly from: string;
}

/**
 * The device end of the ws-hub transport.
 *
 * - Every (re)connect: hello, then the full current state, then whatever waited in the outbox;
 *   only then is the status `online` (the same resync every transport needs).
 * - Offline, state collapses to the latest snapshot; responses and telemetry wait in a bounded
 *   core Outbox whose drops show in `status$` and the log.
 * - The constructor only sets fields (it runs inside the DI container); I/O starts in start().
 */
@injectable()
export class WsHubDeviceTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities;
  readonly status$: Observable<ConnectionStatus>;
  readonly commands$: Observable<InboundCommand>;
  readonly desired$: Observable<DesiredUpdate>;

  private readonly logger: Logger;
  private readonly connection: HubConnection;
  private readonly sender: BufferedSender<ClientFrame>;
  private readonly commandsSubject = new Subject<InboundCommand>();
  private readonly desiredSubject = new Subject<DesiredUpdate>();
  private latestState: StateSnapshot | undefined;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: WsHubOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.DeviceId) private readonly deviceId: string,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
  ) {
    this.logger = (logger ?? silentLogger).child({ transport: id });
    // The hub forwards frames as they come: one QoS level, no broker-side size limit of its own.
    this.capabilities = { maxPayloadBytes: options.maxPayloadBytes, qos: [0], retained: true, desiredState: true };
    this.connection = new HubConnection(
      {
        urls: options.urls ?? [options.url],
        ...(options.token === undefined ? {} : { token: options.token }),
        connectTimeoutMs: options.connectTimeoutMs,
        keepaliveMs: options.keepaliveSeconds * 1_000,
        maxPayloadBytes: options.maxPayloadBytes,
        hello: { type: 'hello', role: 'device', deviceId },
      },
      {
        onWelcome: (welcome) => this.resync(welcome.desired),
        onFrame: (frame) => this.onFrame(frame),
        onDisconnected: () => this.sender.pause(),
      },
      {
        retryPolicy: retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
        clock: clock ?? systemClock,
        logger: this.logger,
      },
    );
    // The ready gate and the bounded outbox come with core (BufferedSender).
    this.sender = new BufferedSender<ClientFrame>({
      clock: clock ?? systemClock,
      capacity: options.outboxSize,
      send: (frame) => this.connection.send(frame),
      connected: () => this.connection.online,
      onStats: (stats) => this.connection.setOutbox(stats),
      logger: this.logger,
      describe: (frame) => ({ frame: frame.type }),
    });
    this.status$ = this.connection.status$;
    this.commands$ = this.commandsSubject.asObservable();
    this.desired$ = this.desiredSubject.asObservable();
  }

  start(signal: AbortSignal): Promise<void> {
    return this.connection.start(signal);
  }

  /** Says goodbye (the hub then announces `offline`/`graceful`) and closes. Idempotent. */
  async stop(): Promise<void> {
    this.sender.close();
    await this.connection.stop(() => this.connection.send({ type: 'bye' }));
    this.commandsSubject.complete();
    this.desiredSubject.complete();
  }

  async publishState(snapshot: StateSnapshot, _patch: JsonObject): Promise<void> {
    this.latestState = snapshot;
    // Offline, only the latest snapshot matters: resync() sends it after the next welcome.
    if (!this.sender.ready) return;
    try {
      await this.connection.send(this.stateFrame(snapshot));
    } catch (error) {
      if (this.connection.online) throw error;
    }
  }

  async respond(command: InboundCommand, response: CommandResponse): Promise<void> {
    const { from } = command.context as HubCommandContext;
    // Answer anyway when the response is too large, so the caller is not left waiting.
    const frame = encodeResponseOrError(
      response,
      (answer): ClientFrame => {
        const candidate: ClientFrame = { type: 'response', to: from, response: answer };
        encodeFrame(candidate, this.options.maxPayloadBytes, 'command response');
        return candidate;
      },
      this.logger,
    );
    await this.sender.send(frame);
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const frame: ClientFrame = {
      type: 'telemetry',
      kind: batch.kind,
      records: batch.records.map((record) => ({ data: record.data, timestamp: record.timestamp })),
    };
    // Refuse an oversized batch now rather than at every drain.
    encodeFrame(frame, this.options.maxPayloadBytes, `telemetry batch "${batch.kind}"`);
    await this.sender.send(frame);
  }

  /** Cuts the connection without a goodbye, as a network failure would (tests, chaos drills). */
  interruptConnection(): void {
    this.connection.interrupt();
  }

  /** After each welcome: desired state kept by the hub, full state, then what waited in the outbox. */
  private async resync(desired: JsonObject | undefined): Promise<void> {
    if (desired) this.desiredSubject.next({ patch: desired, full: true });
    // Loop: a state change or a response may arrive while we send; `ready` flips only when
    // nothing is pending, in the same tick as the last check.
    for (;;) {
      const state = this.latestState;
      if (state) await this.connection.send(this.stateFrame(state));
      const drained = await this.sender.drain();
      if (drained.error !== undefined) throw drained.error;
      if (this.latestState === state && this.sender.size === 0) break;
    }
    this.sender.open();
  }

  private stateFrame(snapshot: StateSnapshot): ClientFrame {
    return {
      type: 'state',
      message: { device_id: this.deviceId, state: snapshot.state, version: snapshot.version, timestamp: snapshot.timestamp },
    };
  }

  private onFrame(frame: HubFrame): void {
    if (frame.type === 'command') {
      const payload = commandPayload(frame);
      const context: HubCommandContext = { from: frame.from };
      // Core refuses a payload too large to parse and still finds its command_id to address the refusal.
      this.commandsSubject.next({ payload, context });
    } else if (frame.type === 'desired') {
      this.desiredSubject.next({ patch: frame.patch });
    }
  }
}
