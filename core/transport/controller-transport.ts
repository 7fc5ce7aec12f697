import type { Observable } from 'rxjs';
import type { CommandResponse } from '../commands/types.js';
import type { RefusedMessage } from '../plugins/middleware.js';
import type { JsonObject } from '../state/json.js';
import type { DeviceStateMessage } from '../state/snapshot.js';
import type { ConnectionStatus, PresenceState } from './connection-status.js';
import type { TelemetryMessage } from './wire-messages.js';

export interface InvokeOptions {
  /** Reject with a TimeoutError if no response arrives in time. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Use this command_id instead of a generated one (for idempotent retries). */
  readonly commandId?: string;
}

export interface DeviceInfo {
  readonly deviceId: string;
  readonly presence: PresenceState;
}

/** The far end of a device transport, used by apps and backends to watch and drive devices. */
export interface ControllerTransport {
  readonly id: string;
  readonly status$: Observable<ConnectionStatus>;

  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;

  /** Full state messages of one device as they change (the latest first, when known). */
  state$(deviceId: string): Observable<DeviceStateMessage>;
  /** Presence of one device as it changes. */
  connection$(deviceId: string): Observable<PresenceState>;
  /** The devices seen so far with their presence, re-emitted on every change. */
  devices$(): Observable<readonly DeviceInfo[]>;
  /**
   * Optional: the state messages of every device (the latest known of each first, where the
   * transport keeps them), through one subscription, for watching a whole fleet; without it a
   * fleet watcher follows `state$` per device.
   */
  fleetStates$?(): Observable<DeviceStateMessage>;
  /**
   * Optional: telemetry batches of one device (one kind, or all kinds) as they arrive, where the
   * transport can read them (MQTT, AWS IoT; Azure IoT Hub in push mode). Live only: nothing kept.
   */
  telemetry$?(deviceId: string, kind?: string): Observable<TelemetryMessage>;
  /**
   * Present when message middleware is configured: every state, response or telemetry record a
   * middleware refused (dropped, or answered `unauthorized`), with a running count.
   */
  readonly refused$?: Observable<RefusedMessage>;
  /**
   * Sends a command and resolves with the device's response, whether it succeeded or not.
   * Rejects with TimeoutError when no response arrives in time.
   */
  invoke(deviceId: string, command: string, params?: JsonObject, options?: InvokeOptions): Promise<CommandResponse>;
  /** The latest full state, or undefined if the device never reported. */
  getState(deviceId: string): Promise<DeviceStateMessage | undefined>;
  /** Asks the device to move towards a desired state (merge patch). */
  setDesired(deviceId: string, patch: JsonObject): Promise<void>;
}
