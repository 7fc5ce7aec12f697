import type { Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import type { JsonValue } from '../state/json.js';
import type { DeviceStateStore } from '../state/device-state.types.js';
import type { Logger } from '../logging/logger.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import type { DeviceProfile } from './device-profile.js';
import type { Lifecycle } from './lifecycle.js';

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
    readonly outboxSize?: number;
  };
}

/** The merged health view: one status per component and transport. */
export interface AgentHealth {
  readonly components: Readonly<Record<string, ConnectionStatus>>;
}

/** One device, its profile, N transports. */
export interface AgentApi {
  readonly deviceId: string;
  readonly state: DeviceStateStore;
  readonly health$: Observable<AgentHealth>;
  start(signal?: AbortSignal): Promise<void>;
  /** Answers in-flight commands, goes offline gracefully on every transport, stops components. */
  stop(): Promise<void>;
  emitTelemetry(kind: string, data: JsonValue): void;
}
