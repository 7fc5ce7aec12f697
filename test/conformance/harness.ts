import type { Observable } from 'rxjs';
import type { CommandResponse } from '../../core/commands/types.js';
import type { JsonValue } from '../../core/state/json.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';

/** One telemetry batch as a far end received it. */
export interface ReceivedTelemetry {
  readonly kind: string;
  readonly records: readonly { readonly data: JsonValue; readonly timestamp: number }[];
}

/** A live telemetry subscription opened by the harness. */
export interface TelemetrySubscription {
  readonly batches$: Observable<ReceivedTelemetry>;
  close(): Promise<void> | void;
}

/**
 * What a transport family provides to run the conformance suite: its infrastructure (a broker,
 * an emulator) and factories for both ends. Factories return transports that are not started;
 * the suite starts and stops them. Optional hooks enable the tests that need them; a test whose
 * hook is missing is reported as skipped with the reason.
 */
export interface TransportHarness {
  /** Starts the infrastructure (once per suite). */
  setup?(): Promise<void>;
  /** Stops it. */
  teardown?(): Promise<void>;

  /** A device transport for `deviceId`, not started. */
  createDeviceTransport(deviceId: string): DeviceTransport | Promise<DeviceTransport>;
  /** A controller transport, not started. The suite uses one for all tests, plus fresh ones. */
  createControllerTransport(): ControllerTransport | Promise<ControllerTransport>;

  /** Cuts the device's connection abruptly (e.g. destroys its socket) so the far end sees it lost. */
  dropConnection?(device: DeviceTransport): Promise<void> | void;
  /** Restarts the broker or service; retained data may or may not survive. */
  restartBroker?(): Promise<void>;
  /**
   * Listens for telemetry of one device and kind as the far end receives it; resolves once the
   * subscription is live (so nothing sent afterwards can be missed).
   */
  subscribeTelemetry?(deviceId: string, kind: string): Promise<TelemetrySubscription>;
  /**
   * Delivers `payload` to the device as a raw command message, bypassing any encoding. When
   * `commandId` is given, resolves with the response carrying it; otherwise once delivered.
   */
  sendRawCommand?(deviceId: string, payload: string | Uint8Array, commandId?: string): Promise<CommandResponse | undefined>;

  /** How long the suite waits for any one expected event, ms (a guard against hangs). Default 10 000. */
  readonly eventTimeoutMs?: number;
  /** Size of the oversized command the suite sends. Default: the larger of the device's maxPayloadBytes and 256 KiB, plus 1 KiB. */
  readonly oversizedPayloadBytes?: number;
}
