import { inject, injectable, optional } from 'inversify';
import { Subject, type Observable } from 'rxjs';
import {
  ExponentialBackoffRetryPolicy,
  DropLog,
  Outbox,
  TOKENS,
  isAmoraError,
  silentLogger,
  systemClock,
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
  private readonly outbox: Outbox<ClientFrame>;
  private readonly commandsSubject = new Subject<InboundCommand>();
  private readonly desiredSubject = new Subject<DesiredUpdate>();
  private latestState: StateSnapshot | undefined;
  /** True once the resync after a connect is done: frames go straight out. */
  private ready = false;
  private stopped = false;

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
    // One line for the first drop, then a summary at most every 10 s: a long outage must not flood the log.
    const drops = new DropLog({ logger: this.logger, message: 'ws-hub outbox full; dropped the oldest message', clock: clock ?? systemClock });
    this.outbox = new Outbox<ClientFrame>({
      capacity: options.outboxSize,
      onOverflow: (_dropped, lost) => {
        drops.note({ frame: lost.type });
        this.reportOutbox();
      },
    });
    this.connection = new HubConnection(
      {
        url: options.url,
        ...(options.token === undefined ? {} : { token: options.token }),
        connectTimeoutMs: options.connectTimeoutMs,
        keepaliveMs: options.keepaliveSeconds * 1_000,
        maxPayloadBytes: options.maxPayloadBytes,
        hello: { type: 'hello', role: 'device', deviceId },
      },
      {
        onWelcome: (welcome) => this.resync(welcome.desired),
        onFrame: (frame) => this.onFrame(frame),
        onDisconnected: () => {
          this.ready = false;
        },
      },
      {
        retryPolicy: retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {}),
        clock: clock ?? systemClock,
        logger: this.logger,
      },
    );
    this.status$ = this.connection.status$;
    this.commands$ = this.commandsSubject.asObservable();
    this.desired$ = this.desiredSubject.asObservable();
    this.reportOutbox();
  }

  start(signal: AbortSignal): Promise<void> {
    return this.connection.start(signal);
  }

  /** Says goodbye (the hub then announces `offline`/`graceful`) and closes. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    await this.connection.stop({ type: 'bye' });
    this.commandsSubject.complete();
    this.desiredSubject.complete();
  }

  async publishState(snapshot: StateSnapshot, _patch: JsonObject): Promise<void> {
    this.latestState = snapshot;
    // Offline, only the latest snapshot matters: resync() sends it after the next welcome.
    if (!this.ready) return;
    try {
      await this.connection.send(this.stateFrame(snapshot));
    } catch (error) {
      if (this.connection.online) throw error;
    }
  }

  async respond(command: InboundCommand, response: CommandResponse): Promise<void> {
    const { from } = command.context as HubCommandContext;
    let frame: ClientFrame = { type: 'response', to: from, response };
    try {
      encodeFrame(frame, this.options.maxPayloadBytes, 'command response');
    } catch (error) {
      // Answer anyway, so the caller is not left waiting for a response that can never be sent.
      if (!isAmoraError(error)) throw error;
      this.logger.warn({ commandId: response.command_id, err: error.toJSON() }, 'command response too large; answering with an error');
      const { command_id, command: name, timestamp } = response;
      frame = { type: 'response', to: from, response: { command_id, command: name, success: false, error: error.toJSON(), timestamp } };
    }
    await this.send(frame);
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const frame: ClientFrame = {
      type: 'telemetry',
      kind: batch.kind,
      records: batch.records.map((record) => ({ data: record.data, timestamp: record.timestamp })),
    };
    // Refuse an oversized batch now rather than at every drain.
    encodeFrame(frame, this.options.maxPayloadBytes, `telemetry batch "${batch.kind}"`);
    await this.send(frame);
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
      const drained = await this.outbox.drain((frame) => this.connection.send(frame));
      this.reportOutbox();
      if (drained.error !== undefined) throw drained.error;
      if (this.latestState === state && this.outbox.size === 0) break;
    }
    this.ready = true;
  }

  private async send(frame: ClientFrame): Promise<void> {
    if (this.ready) {
      try {
        await this.connection.send(frame);
        return;
      } catch (error) {
        // The socket died before its close event reached us: keep the frame for the next connect.
        if (this.connection.online) throw error;
      }
    }
    if (this.stopped) return;
    this.outbox.push(frame);
    this.reportOutbox();
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

  private reportOutbox(): void {
    this.connection.setOutbox(this.outbox.stats());
  }
}
