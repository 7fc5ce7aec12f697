import { BehaviorSubject, combineLatest, defer, first, map, Subject, Subscription, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { decodeCommand } from '../commands/decode.js';
import { CommandDispatcher } from '../commands/dispatcher.js';
import type { CommandResponse } from '../commands/types.js';
import { toErrorObject } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { DeviceState } from '../state/device-state.js';
import { STATE_CHANGE_KIND, type StateChangeRecord } from '../state/state-changes.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import { TelemetryPipeline } from '../telemetry/pipeline.js';
import type { EmitOptions } from '../telemetry/pipeline.types.js';
import type { TelemetryBatch } from '../telemetry/types.js';
import type { DesiredUpdate, DeviceTransport, InboundCommand } from '../transport/device-transport.js';
import type { AgentActivity } from './agent-activity.js';
import type { OfflineReason } from '../transport/wire-messages.js';
import { mergeHealth } from './agent-health.js';
import type { AgentApi, AgentHealth, AgentOptions } from './agent.types.js';
import type { DeviceProfile } from './device-profile.js';
import type { Lifecycle } from './lifecycle.js';
import { LifecycleManager } from './lifecycle-manager.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { StatePublisher } from './state-publisher.js';
import { StatusTelemetry } from './status-telemetry.js';
import { SystemSection } from './system-section.js';

type AgentPhase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * One device: its state, its profile's commands, N transports. Wiring, in short:
 * profile state → reported state → every transport; every transport's commands → dispatcher →
 * the same transport; desired state from any transport → changed keys → reconciler → dispatcher;
 * telemetry → batches → every transport. A failure on one transport is logged and never reaches
 * the others. Components (the player) start before transports and stop after them.
 */
export class Agent implements AgentApi {
  readonly deviceId: string;
  readonly state: DeviceState;
  // health$ and activity$ are getters (below): a deferred observable kept by every agent is
  // memory a fleet multiplies, and most agents are never watched.
  /** Per-component lifecycle phases (idle, starting, running, failed, ...). */
  readonly lifecycle: LifecycleManager;

  private readonly profile: DeviceProfile;
  private readonly transports: readonly DeviceTransport[];
  /** Components (the player), then transports: what the lifecycle starts and health$ shows. */
  private readonly parts: readonly Lifecycle[];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly dispatcher: CommandDispatcher;
  private readonly telemetry: TelemetryPipeline;
  /** One per transport, at the transport's index. */
  private readonly publishers: readonly StatePublisher[];
  private readonly reconciler: ReconcileLoop;
  private readonly system?: SystemSection;
  private readonly reboot?: AgentOptions['reboot'];
  private readonly stopTimeoutMs: number;
  private readonly statusIntervalMs?: number;
  private readonly subscriptions = new Subscription();
  /**
   * Made when activity$ or health$ is first watched: most agents of a fleet never are, and every
   * object an agent keeps for its life is multiplied by the fleet.
   */
  private activity?: Subject<AgentActivity>;
  private desiredRefused?: BehaviorSubject<number>;
  private refusedCount = 0;
  /** Telemetry batches go to the transports (from wire() until the agent has stopped). */
  private sendingTelemetry = false;
  /** Epoch ms of the last command answered, per transport id: reported as `system.last_command`. */
  private readonly lastCommandAt: Record<string, number> = {};
  /** Commands being answered and telemetry being sent; stop() waits for them. */
  private inFlight?: Set<Promise<void>>;
  private readonly statusMinIntervalMs: number;
  /** `state.changes: every`: each change also leaves as `state_change` telemetry. */
  private readonly everyChange: boolean;
  private statusTelemetry?: StatusTelemetry;
  private accepting = false;
  private phase: AgentPhase = 'idle';
  private stopping?: Promise<void>;

  constructor(options: AgentOptions) {
    this.deviceId = options.deviceId;
    this.profile = options.profile;
    this.transports = [...options.transports];
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.reboot = options.reboot;
    this.statusIntervalMs = options.telemetry?.statusIntervalMs;
    this.statusMinIntervalMs = options.telemetry?.statusMinIntervalMs ?? 1_000;
    this.everyChange = options.state?.changes === 'every';
    this.state = new DeviceState(this.clock, undefined, options.storage?.versions, options.desired);
    this.dispatcher = new CommandDispatcher({
      specs: this.profile.commands,
      services: this.profile.services,
      timeoutMs: options.commands?.timeoutMs,
      dedupeWindowMs: options.commands?.dedupeWindowMs,
      dedupeMax: options.commands?.dedupeMax,
      clock: this.clock,
      logger: this.logger,
    });
    this.telemetry = new TelemetryPipeline({
      batchSize: options.telemetry?.batchSize,
      batchIntervalMs: options.telemetry?.batchIntervalMs,
      clock: this.clock,
      onBatch: (batch) => {
        if (this.sendingTelemetry) this.track(this.sendTelemetry(batch));
      },
    });
    // Nothing is made for a publish nobody watches (the metrics endpoint is the usual watcher).
    const published = (transport: string) => (ok: boolean, durationMs: number) => {
      if (this.activity?.observed) this.activity.next({ type: 'state', transport, ok, durationMs });
    };
    this.publishers = this.transports.map((t) => new StatePublisher(t, this.logger, this.clock, published(t.id)));
    this.reconciler = new ReconcileLoop(this.profile, this.dispatcher, () => this.state.snapshot.state, this.logger);
    if (options.system !== false) {
      this.system = new SystemSection(
        options.version ?? '0.0.0',
        options.system ?? {},
        this.clock,
        (patch) => this.patchState(patch, 'system'),
        (error) => this.logger.error({ err: toErrorObject(error) }, 'system section callback failed'),
        () => this.lastCommandAt,
      );
    }
    this.parts = [...(options.components ?? []), ...this.transports];
    this.lifecycle = new LifecycleManager(this.parts, { logger: this.logger, clock: this.clock });
  }

  /** Health of every part (components, transports) and the desired-state refusals; built per subscriber. */
  get health$(): Observable<AgentHealth> {
    // Built when first watched: most agents of a fleet never are, and the pipeline costs a kilobyte or two.
    return defer(() =>
      combineLatest([mergeHealth(this.lifecycle.status$, this.parts), (this.desiredRefused ??= new BehaviorSubject(this.refusedCount))]).pipe(
        map(([health, refused]) => (refused === 0 ? health : { ...health, desiredRefused: refused })),
      ),
    );
  }

  /** Commands answered, state published, desired state and telemetry, as they happen (for metrics). */
  get activity$(): Observable<AgentActivity> {
    return defer(() => this.activitySubject());
  }

  /**
   * Wires everything, then starts components (the player) and transports in that order. A part
   * that fails to start is logged and shown in health$; the rest still start. Rejects only when
   * `signal` aborts (after stopping what started).
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`agent ${this.deviceId} cannot start: it is ${this.phase}`);
    this.phase = 'starting';
    this.wire();
    try {
      const result = await this.lifecycle.start(signal);
      if (result.failed.length > 0) this.logger.warn({ failed: result.failed.map((f) => f.id) }, 'agent started with failures');
    } catch (error) {
      await this.stop();
      throw error;
    }
    if (this.phase !== 'starting') return; // stop() was called meanwhile.
    this.phase = 'running';
    // The configured starting point (volume, output) first: the first state published has it,
    // and desired state, applied next, wins over it.
    await this.runStartup();
    if (this.phase !== 'running') return;
    for (const transport of this.transports) this.beginPublishing(transport);
    // Desired values are applied when they change (reconcile-loop.ts), not whenever reported differs.
    this.subscriptions.add(this.state.onDesired((desired) => this.reconciler.offer(desired)));
    this.startStatusTelemetry();
    this.logger.info({ device: this.deviceId, transports: this.transports.map((t) => t.id) }, 'agent started');
  }

  /**
   * Stops gracefully: refuses new commands, waits (up to stopTimeoutMs) for in-flight commands to
   * be answered and state and telemetry to be handed over, then stops transports (they announce
   * offline) and finally components. Idempotent.
   */
  stop(reason?: OfflineReason): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /**
   * Sends a telemetry record of `kind` on every transport, batched (`{immediate: true}`: its batch
   * leaves now). @throws AmoraError for a kind unfit for topics.
   */
  emitTelemetry(kind: string, data: JsonValue, options?: EmitOptions): void {
    this.telemetry.emit(kind, data, options);
  }

  /** Runs a command locally, as if it came from a transport (used by tests, CLIs and custom code). */
  async execute(command: string, params: JsonObject = {}, commandId = `local-${this.clock.now()}-${Math.random().toString(36).slice(2, 8)}`): Promise<CommandResponse> {
    const response = await this.dispatcher.execute({ command, command_id: commandId, params });
    this.rebootIfRequested();
    return response;
  }

  private wire(): void {
    this.accepting = true;
    const profileState = {
      next: (patch: JsonObject) => this.patchState(patch, 'profile'),
      error: (error: unknown) => this.logger.error({ err: toErrorObject(error) }, 'profile state stream failed'),
    };
    // Plain callbacks where the profile takes them: a subscription is kept for the agent's life.
    if (this.profile.watchState) this.subscriptions.add(this.profile.watchState(profileState));
    else if (this.profile.state$) this.subscriptions.add(this.profile.state$.subscribe(profileState));
    this.system?.start();
    this.subscriptions.add(
      this.state.onChange((change) => {
        for (const publisher of this.publishers) publisher.push(change);
      }),
    );
    this.sendingTelemetry = true;
    if (this.everyChange) {
      // Batched and queued like any telemetry, so no change is merged away (state-changes.ts).
      this.subscriptions.add(
        this.state.changes$.subscribe(({ snapshot, patch }) =>
          this.telemetry.emit(STATE_CHANGE_KIND, { version: snapshot.version, patch } satisfies StateChangeRecord),
        ),
      );
    }
    for (const transport of this.transports) {
      const command = (inbound: InboundCommand): void => this.answer(transport, inbound);
      const desired = (update: DesiredUpdate): void => this.offerDesired(transport, update);
      // Plain callbacks where the transport takes them: a subscription per stream is kept for the agent's life.
      if (transport.listen) {
        this.subscriptions.add(transport.listen({ command, desired }));
        continue;
      }
      this.subscriptions.add(
        transport.commands$.subscribe({
          next: command,
          error: (error: unknown) => this.logger.error({ transport: transport.id, err: toErrorObject(error) }, 'command stream failed'),
        }),
      );
      this.subscriptions.add(
        transport.desired$.subscribe({
          next: desired,
          error: (error: unknown) => this.logger.error({ transport: transport.id, err: toErrorObject(error) }, 'desired stream failed'),
        }),
      );
    }
  }

  private offerDesired(transport: DeviceTransport, update: DesiredUpdate): void {
    this.activity?.next({ type: 'desired', transport: transport.id });
    try {
      this.state.setDesired(update.patch, update.full ?? false);
    } catch (error) {
      // The last good desired state stays; the refusal is counted in health$.
      this.refusedCount++;
      this.desiredRefused?.next(this.refusedCount);
      this.logger.warn({ transport: transport.id, refused: this.refusedCount, err: toErrorObject(error) }, 'desired state refused');
    }
  }

  /**
   * Feeds a started transport with state, the whole snapshot first. One whose start failed is fed
   * from the moment it reports online by itself (a transport that kept retrying after the error).
   */
  private beginPublishing(transport: DeviceTransport): void {
    const publisher = this.publishers[this.transports.indexOf(transport)];
    if (!publisher) return;
    if (this.lifecycle.status[transport.id]?.phase !== 'failed') {
      publisher.begin(this.state.snapshot);
      return;
    }
    const recovery = transport.status$.pipe(first((status) => status.state === 'online')).subscribe({
      next: () => {
        this.logger.info({ transport: transport.id }, 'transport recovered after a failed start');
        if (this.phase === 'running') publisher.begin(this.state.snapshot);
      },
      error: () => undefined,
    });
    this.subscriptions.add(recovery);
  }

  private patchState(patch: JsonObject, source: string): void {
    try {
      this.state.patch(patch);
    } catch (error) {
      this.logger.error({ source, err: toErrorObject(error) }, 'reported state patch refused');
    }
  }

  /**
   * Dispatches one inbound command and answers on the transport it came from. An answer ready at
   * once (a quick handler, a refusal) goes to the transport in this same call: over MQTT it then
   * leaves ahead of the command's own PUBACK, so the broker forwards it first.
   */
  private answer(transport: DeviceTransport, inbound: InboundCommand): void {
    const received = this.clock.now();
    const response = this.accepting
      ? this.dispatcher.dispatchNow(inbound, { maxPayloadBytes: transport.capabilities.maxPayloadBytes })
      : this.refuse(inbound);
    if (response instanceof Promise) this.track(response.then((answer) => answer && this.deliver(transport, inbound, answer, received)));
    else if (response) this.deliver(transport, inbound, response, received);
  }

  /**
   * Hands a response to its transport; the returned promise (tracked until then, so stop() waits
   * for it) settles once the transport has taken it, and never rejects.
   */
  private deliver(transport: DeviceTransport, inbound: InboundCommand, response: CommandResponse, received: number): Promise<void> {
    const code = response.success ? 'ok' : response.error.code;
    this.lastCommandAt[transport.id] = received;
    this.activity?.next({ type: 'command', transport: transport.id, command: response.command, code, durationMs: this.clock.now() - received });
    let sent: Promise<void>;
    try {
      sent = transport.respond(inbound, response);
    } catch (error) {
      sent = Promise.reject(error);
    }
    // Tracked by hand rather than through track(): a `finally` per command cost two promises more.
    const inFlight = (this.inFlight ??= new Set());
    const delivered: Promise<void> = sent.then(
      () => {
        inFlight.delete(delivered);
        this.rebootIfRequested();
      },
      (error: unknown) => {
        inFlight.delete(delivered);
        this.logger.warn({ transport: transport.id, command_id: response.command_id, err: toErrorObject(error) }, 'command response failed');
        this.rebootIfRequested();
      },
    );
    inFlight.add(delivered);
    return delivered;
  }

  /**
   * After the answer to `reboot` has been handed to its transport: go offline with reason `reboot`
   * everywhere (stop waits for other answers and state), then run the reboot action once.
   */
  private rebootIfRequested(): void {
    const reboot = this.reboot;
    if (!reboot?.request.take()) return;
    this.logger.warn({ device: this.deviceId }, 'rebooting: going offline, then running the reboot action');
    void this.stop('reboot')
      .then(() => reboot.run())
      .catch((error: unknown) => this.logger.error({ err: toErrorObject(error) }, 'reboot action failed'));
  }

  /**
   * The answer to a command that arrives while stopping: a retry of one already answered gets that
   * answer again (a `reboot` retried while the device goes down); anything else `unavailable`,
   * without running it.
   */
  private async refuse(inbound: InboundCommand): Promise<CommandResponse | undefined> {
    const decoded = decodeCommand(inbound, { maxPayloadBytes: Number.MAX_SAFE_INTEGER });
    const commandId = decoded.ok ? decoded.request.command_id : decoded.commandId;
    if (commandId === undefined) return undefined;
    const earlier = this.dispatcher.answered(commandId);
    if (earlier) return earlier;
    const command = decoded.ok ? decoded.request.command : (decoded.command ?? '');
    const error = { code: 'unavailable', message: `device ${this.deviceId} is stopping` };
    return { command_id: commandId, command, success: false, error, timestamp: this.clock.now() };
  }

  private async sendTelemetry(batch: TelemetryBatch): Promise<void> {
    await Promise.all(
      this.transports.map((transport) =>
        transport.publishTelemetry(batch).then(
          () => this.activity?.next({ type: 'telemetry', transport: transport.id, ok: true, records: batch.records.length }),
          (error: unknown) => {
            this.activity?.next({ type: 'telemetry', transport: transport.id, ok: false, records: batch.records.length });
            this.logger.warn({ transport: transport.id, kind: batch.kind, err: toErrorObject(error) }, 'telemetry publish failed');
          },
        ),
      ),
    );
  }

  /** Runs the profile's startup steps one by one; a failing step is logged and the rest still run. */
  private async runStartup(): Promise<void> {
    for (const [index, step] of (this.profile.startup ?? []).entries()) {
      const response = await this.dispatcher.execute({ command: step.command, command_id: `startup-${this.clock.now()}-${index}`, params: step.params });
      if (!response.success) this.logger.warn({ command: step.command, params: step.params, err: response.error }, 'startup step failed');
    }
  }

  /**
   * `<profile>Status` messages (the guide's playerStatus) on every transport, sent as they are
   * made rather than batched, so a change is seen promptly (status-telemetry.ts).
   */
  private startStatusTelemetry(): void {
    const interval = this.statusIntervalMs;
    if (!interval) return;
    const kind = `${this.profile.name}Status`;
    const status = this.profile.status?.bind(this.profile) ?? ((reported: JsonObject) => reported);
    this.statusTelemetry = new StatusTelemetry({
      messageType: kind,
      deviceId: this.deviceId,
      intervalMs: interval,
      minIntervalMs: this.statusMinIntervalMs,
      clock: this.clock,
      status,
      reported: () => this.state.snapshot.state,
      send: (message) => this.track(this.sendTelemetry({ kind, records: [this.telemetry.stamp(kind, message)] })),
    });
    this.subscriptions.add(this.state.changes$.subscribe(() => this.statusTelemetry?.onStateChange()));
    this.statusTelemetry.start();
  }

  private activitySubject(): Subject<AgentActivity> {
    if (!this.activity) {
      this.activity = new Subject<AgentActivity>();
      if (this.phase === 'stopped') this.activity.complete();
    }
    return this.activity;
  }

  private track(task: Promise<void>): void {
    const inFlight = (this.inFlight ??= new Set());
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  private async shutdown(reason?: OfflineReason): Promise<void> {
    const wasStarted = this.phase !== 'idle';
    this.phase = 'stopping';
    this.accepting = false;
    this.profile.beforeStop?.();
    this.statusTelemetry?.stop();
    this.system?.stop();
    if (wasStarted) {
      const drained = await this.withDeadline(this.drain());
      if (!drained) {
        this.logger.warn({ timeoutMs: this.stopTimeoutMs }, 'stop deadline passed: aborting in-flight commands');
        this.dispatcher.abortAll();
        await this.withDeadline(this.settleInFlight());
      }
    }
    for (const publisher of this.publishers) publisher.end();
    await this.lifecycle.stop(reason);
    this.subscriptions.unsubscribe();
    // Stopped transports get nothing more: what stop() flushes now is dropped, as it always was.
    this.sendingTelemetry = false;
    this.telemetry.stop();
    this.state.dispose();
    this.activity?.complete();
    this.phase = 'stopped';
    this.logger.info({ device: this.deviceId }, 'agent stopped');
  }

  /** Everything that must leave before transports close: answers, reconcile steps, telemetry, state. */
  private async drain(): Promise<void> {
    await this.reconciler.stop();
    await this.dispatcher.drain();
    this.telemetry.flush();
    await this.settleInFlight();
  }

  private async settleInFlight(): Promise<void> {
    while (this.inFlight && this.inFlight.size > 0) await Promise.allSettled(this.inFlight);
    await Promise.all(this.publishers.map((p) => p.idle()));
  }

  /** True when `work` finished before stopTimeoutMs. */
  private withDeadline(work: Promise<void>): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), this.stopTimeoutMs);
      const done = (): void => {
        timer.cancel();
        resolve(true);
      };
      void work.then(done, (error: unknown) => {
        this.logger.error({ err: toErrorObject(error) }, 'stop: draining failed');
        done();
      });
    });
  }
}

/** Creates an agent without dependency injection. */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options);
}
