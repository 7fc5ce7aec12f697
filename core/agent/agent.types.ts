import type { Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import type { EmitOptions } from '../telemetry/pipeline.types.js';
import type { DeviceStateStore } from '../state/device-state.types.js';
import type { DeviceStorage } from '../state/device-storage.js';
import type { DesiredLimits } from '../state/desired-limits.js';
import type { StateChangeMode } from '../state/state-changes.js';
import type { Logger } from '../logging/logger.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import type { DeviceProfile } from './device-profile.js';
import type { OfflineReason } from '../transport/wire-messages.js';
import type { Lifecycle } from './lifecycle.js';
import type { RebootRequest } from './reboot-request.js';

export interface AgentOptions {
  readonly deviceId: string;
  readonly profile: DeviceProfile;
  readonly transports: readonly DeviceTransport[];
  /** Started before the transports and stopped after them (e.g. the player adapter). */
  readonly components?: readonly Lifecycle[];
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly commands?: { readonly timeoutMs?: number; readonly dedupeWindowMs?: number; readonly dedupeMax?: number };
  readonly telemetry?: {
    readonly batchSize?: number;
    readonly batchIntervalMs?: number;
    /**
     * When set, a `<profile>Status` message (AmoraOS `playerStatus`: `{messageType, deviceId,
     * timestamp, status}`) is sent at this interval and after each change of the status.
     */
    readonly statusIntervalMs?: number;
    /** The least time between two change-driven status messages, ms. Default 1 000. */
    readonly statusMinIntervalMs?: number;
  };
  /** The agent's version, reported as `system.version`. Default '0.0.0'. */
  readonly version?: string;
  /** The `system` section of reported state; `false` leaves it out (e.g. a profile that reports its own). */
  readonly system?: false | SystemSectionOptions;
  /** Longest stop() waits for in-flight commands and publishes before closing transports, ms. Default 10 000. */
  readonly stopTimeoutMs?: number;
  /** Where the state version is kept across restarts (the CLI's state directory); none keeps it in memory. */
  readonly storage?: DeviceStorage;
  /**
   * `changes: 'every'` sends every reported-state change, in order, as `state_change` telemetry
   * beside the snapshots (which stay latest-wins). Default `latest`: snapshots only.
   */
  readonly state?: { readonly changes?: StateChangeMode };
  /** Bounds of the desired document; a patch that would exceed them is refused and counted. */
  readonly desired?: Partial<DesiredLimits>;
  /**
   * What `reboot` does: the profile's command marks `request`; after answering, the agent stops
   * (offline reason `reboot`) and then calls `run` once (a system hook, or an in-process restart).
   */
  readonly reboot?: { readonly request: RebootRequest; run(): Promise<void> };
}

/** How the agent fills the `system` section of reported state. */
export interface SystemSectionOptions {
  /** How often `system.uptime` is refreshed, ms. Default 60 000 (each refresh is a state publish). */
  readonly uptimeIntervalMs?: number;
  /** Extra members merged into `system` at every refresh (e.g. `free_space`). */
  readonly extra?: () => JsonObject;
}

/** The merged health view: one status per component and transport. */
export interface AgentHealth {
  readonly components: Readonly<Record<string, ConnectionStatus>>;
  /** Desired-state patches refused (over the desired limits, or unsafe) since start; absent while 0. */
  readonly desiredRefused?: number;
}

/** One device, its profile, N transports. */
export interface AgentApi {
  readonly deviceId: string;
  readonly state: DeviceStateStore;
  readonly health$: Observable<AgentHealth>;
  start(signal?: AbortSignal): Promise<void>;
  /** Answers in-flight commands, goes offline (with `reason`, default graceful) on every transport, stops components. */
  stop(reason?: OfflineReason): Promise<void>;
  /** Sends a record of `kind` on every transport, batched; `{immediate: true}` sends its batch at once. */
  emitTelemetry(kind: string, data: JsonValue, options?: EmitOptions): void;
}
