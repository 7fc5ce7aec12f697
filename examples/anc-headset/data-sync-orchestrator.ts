import { BehaviorSubject, Subscription } from 'rxjs';
import {
  buildAgent,
  parseConfig,
  silentLogger,
  systemClock,
  toErrorObject,
  type Agent,
  type AgentHealth,
  type Clock,
  type JsonObject,
  type JsonValue,
  type LoadedConfig,
  type Logger,
  type PluginRegistry,
} from '../../core/index.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import { createAncProfile } from './anc-profile.js';
import { AncStateStore, type AncState, type AncUpdate } from './anc-state.js';

export interface DataSyncOrchestratorOptions {
  /** The agent config: the ANC document's JSON file (loadConfigFile) or any native config. */
  readonly config: LoadedConfig;
  /** Where transport kinds come from. Default: the built-in registry. */
  readonly registry?: PluginRegistry;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Reported as `firmware_version` (and `system.version`). Default '1.0.0'. */
  readonly firmwareVersion?: string;
  /** The headset's state, when firmware bindings own it. Default: a new store. */
  readonly store?: AncStateStore;
}

/** The document's constructor arguments: the thing and its connection, nothing else. */
export interface AncConnection {
  readonly thingName: string;
  readonly endpoint: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly rootCaPath: string;
  readonly port?: number;
}

/** Metrics of one moment, as `publish_metrics` takes them; each present group goes to its topic. */
export interface AncMetrics {
  readonly ancMetrics?: JsonObject;
  readonly audioMetrics?: JsonObject;
  readonly systemMetrics?: JsonObject;
}

/** What `getStatus()` answers. */
export interface OrchestratorStatus {
  readonly thing_name: string;
  readonly running: boolean;
  /** True while at least one transport is online. */
  readonly connected: boolean;
  readonly uptime: number;
  readonly anc: AncState;
  readonly telemetry: { readonly batch_size?: number; readonly batch_interval_ms?: number };
  readonly health: AgentHealth['components'];
}

/** How often the reported shadow is refreshed when the config does not say (the document's 60 s). */
const DEFAULT_SYNC_INTERVAL_MS = 60_000;

/**
 * The ANC document's DataSyncOrchestrator in TypeScript, on an Amora agent: the connection,
 * shadow sync and telemetry publisher are the agent's `aws-iot` transport (or any other: the
 * transport is config), the headset's behaviour is the `anc-headset` profile.
 *
 * - `updateAncState` changes the ANC state; the shadow's `reported` follows, and desired
 *   `anc_*` values (the shadow delta) come back through the same operation.
 * - `publishMetrics` / `publishError` send on `anc/telemetry/{id}/anc|audio|system|errors`,
 *   batched by `telemetry.batch_size` records or `batch_interval` seconds, kept while offline.
 * - `reportEmergency` sends on `anc/devices/{id}/emergency` at once and sets `emergency_detected`.
 * - `anc/devices/{id}/status` says `online` at start and `offline` at stop; presence (with a
 *   last will) is the transport's own `anc/devices/{id}/connection`.
 * - `getStatus` answers connection, uptime, ANC state and batching.
 *
 * The constructor only keeps its options; `start()` builds and starts the agent.
 */
export class DataSyncOrchestrator {
  readonly store: AncStateStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly firmwareVersion: string;
  private readonly subscriptions = new Subscription();
  private agent: Agent | undefined;
  private health: AgentHealth = { components: {} };
  private startedAt = 0;
  private syncTimer: { cancel(): void } | undefined;
  private readonly extra = new BehaviorSubject<JsonObject>({});

  constructor(private readonly options: DataSyncOrchestratorOptions) {
    this.store = options.store ?? new AncStateStore();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.firmwareVersion = options.firmwareVersion ?? '1.0.0';
  }

  /** The config for the document's constructor arguments (the same mapping as its JSON file). */
  static configFor(connection: AncConnection, env: Readonly<Record<string, string | undefined>> = {}): LoadedConfig {
    const iot = {
      thing_name: connection.thingName,
      endpoint: connection.endpoint,
      cert_path: connection.certPath,
      key_path: connection.keyPath,
      root_ca_path: connection.rootCaPath,
      ...(connection.port === undefined ? {} : { port: connection.port }),
    };
    return parseConfig({ iot }, { env });
  }

  get deviceId(): string {
    return this.options.config.device.id;
  }

  async start(): Promise<void> {
    if (this.agent) return;
    this.startedAt = this.clock.now();
    this.refreshReported();
    const agent = await buildAgent(this.options.config, this.options.registry ?? createBuiltinRegistry(), {
      profile: createAncProfile(this.store, this.extra.asObservable()),
      logger: this.logger,
      clock: this.clock,
      version: this.firmwareVersion,
    });
    this.subscriptions.add(agent.health$.subscribe((health) => (this.health = health)));
    await agent.start();
    this.agent = agent;
    this.scheduleSync();
    this.emit('status', { status: 'online', device_id: this.deviceId, timestamp: this.isoNow() }, true);
  }

  /** Says `offline` on the status topic, sends what waits in a batch, and stops the agent. */
  async stop(): Promise<void> {
    const agent = this.agent;
    if (!agent) return;
    this.emit('status', { status: 'offline', device_id: this.deviceId, timestamp: this.isoNow() }, true);
    this.agent = undefined;
    this.syncTimer?.cancel();
    this.subscriptions.unsubscribe();
    await agent.stop();
  }

  /** `update_anc_state`: any of enabled, intensity (0-1), algorithm. @throws CommandError `invalid_params`. */
  updateAncState(update: AncUpdate): AncState {
    return this.store.updateAnc(update);
  }

  /** `publish_metrics`: each group on its telemetry topic; battery and noise class also in the shadow. */
  publishMetrics(metrics: AncMetrics): void {
    if (metrics.ancMetrics) this.emit('anc', metrics.ancMetrics);
    if (metrics.audioMetrics) this.emit('audio', metrics.audioMetrics);
    if (metrics.systemMetrics) this.emit('system', metrics.systemMetrics);
    this.store.noteMetrics(metrics.audioMetrics, metrics.systemMetrics);
  }

  publishAncMetrics(metrics: JsonObject): void {
    this.publishMetrics({ ancMetrics: metrics });
  }

  publishAudioMetrics(metrics: JsonObject): void {
    this.publishMetrics({ audioMetrics: metrics });
  }

  publishSystemMetrics(metrics: JsonObject): void {
    this.publishMetrics({ systemMetrics: metrics });
  }

  /** An error log record on `anc/telemetry/{id}/errors`. */
  publishError(error: JsonObject): void {
    this.emit('errors', error);
  }

  /** `report_emergency`: sent at once on `anc/devices/{id}/emergency`; `is_emergency` sets `emergency_detected`. */
  reportEmergency(event: JsonObject): void {
    this.store.setEmergency(event['is_emergency'] !== false);
    this.emit('emergency', event, true);
  }

  getStatus(): OrchestratorStatus {
    const components = this.health.components;
    const telemetry = this.options.config.telemetry;
    return {
      thing_name: this.deviceId,
      running: this.agent !== undefined,
      connected: Object.entries(components).some(([name, status]) => name !== 'player' && status.state === 'online'),
      uptime: this.agent ? Math.floor((this.clock.now() - this.startedAt) / 1000) : 0,
      anc: this.store.state,
      telemetry: {
        ...(telemetry?.batchSize === undefined ? {} : { batch_size: telemetry.batchSize }),
        ...(telemetry?.batchIntervalMs === undefined ? {} : { batch_interval_ms: telemetry.batchIntervalMs }),
      },
      health: components,
    };
  }

  /** The shadow's own fields (status, ids, uptime, timestamp), refreshed every sync interval. */
  private refreshReported(): void {
    this.extra.next({
      status: 'online',
      device_id: this.deviceId,
      firmware_version: this.firmwareVersion,
      uptime: Math.floor((this.clock.now() - this.startedAt) / 1000),
      timestamp: this.isoNow(),
    });
  }

  private scheduleSync(): void {
    const interval = this.options.config.system?.uptimeIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.syncTimer = this.clock.setTimeout(() => {
      this.refreshReported();
      this.scheduleSync();
    }, interval);
  }

  private emit(kind: string, data: JsonValue, immediate = false): void {
    if (!this.agent) {
      this.logger.warn({ kind }, 'telemetry before start() or after stop() is dropped');
      return;
    }
    try {
      this.agent.emitTelemetry(kind, data, { immediate });
    } catch (error) {
      this.logger.error({ kind, err: toErrorObject(error) }, 'telemetry refused');
    }
  }

  private isoNow(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}
