import type { Observable } from 'rxjs';
import type { CommandResponse } from '../commands/types.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import type { StateSnapshot } from '../state/snapshot.js';
import type { TelemetryBatch } from '../telemetry/types.js';
import type { ConnectionStatus } from './connection-status.js';
import type { OfflineReason } from './wire-messages.js';

/** What a transport can carry; core adapts to it (e.g. never asks a cloud for QoS 2). */
export interface TransportCapabilities {
  /** Largest payload the far end accepts, in bytes. */
  readonly maxPayloadBytes: number;
  readonly qos: readonly (0 | 1 | 2)[];
  readonly retained: boolean;
  /** The transport delivers desired state (`desired$` emits). */
  readonly desiredState: boolean;
  /**
   * How many state publishes may await their acknowledgement at once (default 1); changes made
   * while that many are unacknowledged merge into the next (latest wins). More than one suits a
   * transport whose states are whole snapshots delivered in order (the generic MQTT kind's
   * retained state): a change made just after another then leaves at once, not one round trip
   * to the far end later.
   */
  readonly statesInFlight?: number;
}

/** A command as a transport received it, before core decodes and validates it. */
export interface InboundCommand {
  /** The payload as received: bytes, text, or an already-parsed JSON value. */
  readonly payload: Uint8Array | string | JsonValue | undefined;
  /** Set when the transport names the command out of band (e.g. an Azure direct method name). */
  readonly command?: string;
  /** Set when the transport has its own request id to use when the payload has no command_id. */
  readonly requestId?: string;
  /** Opaque to core; handed back to `respond()` (response topic, correlation data, method rid). */
  readonly context?: unknown;
}

/** A change of desired state sent by the cloud or a controller. */
export interface DesiredUpdate {
  /** A merge patch onto desired state, or the whole desired document when `full` is true. */
  readonly patch: JsonObject;
  readonly full?: boolean;
  /** The far end's version of desired state, when it has one. */
  readonly version?: number;
}

/** Carries one device's state out and its commands in. */
export interface DeviceTransport {
  /** Instance name, unique within an agent (e.g. "mqtt" or "mqtt#2"). */
  readonly id: string;
  readonly capabilities: TransportCapabilities;
  readonly status$: Observable<ConnectionStatus>;
  readonly commands$: Observable<InboundCommand>;
  readonly desired$: Observable<DesiredUpdate>;

  /**
   * Optional: also hands every command and desired update straight to `listener` (one listener; a
   * later call replaces it) and returns what detaches it. The agent uses it instead of subscribing
   * to commands$ and desired$ when a transport has it: two RxJS subscriptions kept per transport
   * for the agent's life are memory a fleet of in-process agents multiplies.
   */
  listen?(listener: { command(inbound: InboundCommand): void; desired(update: DesiredUpdate): void }): () => void;

  /** Connects; resolves once the first connection attempt has settled (online or retrying). */
  start(signal: AbortSignal): Promise<void>;
  /** Announces offline (with `reason`, `graceful` by default), flushes in-flight responses and closes. Idempotent. */
  stop(reason?: OfflineReason): Promise<void>;

  /** Publishes a new reported state; transports choose full snapshot or patch. */
  publishState(snapshot: StateSnapshot, patch: JsonObject): Promise<void>;
  respond(command: InboundCommand, response: CommandResponse): Promise<void>;
  publishTelemetry(batch: TelemetryBatch): Promise<void>;
}
