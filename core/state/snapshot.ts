import type { JsonObject } from './json.js';

/** Per-leaf metadata: when each reported key last changed (epoch ms), mirroring the state's shape. */
export interface StateMetadata {
  readonly [key: string]: { readonly timestamp: number } | StateMetadata;
}

/** An immutable view of the reported state at one version. */
export interface StateSnapshot {
  readonly state: JsonObject;
  readonly version: number;
  /** Epoch milliseconds of the change that produced this version. */
  readonly timestamp: number;
  readonly metadata: StateMetadata;
}

/** One real change: the snapshot after it and the merge patch that produced it. */
export interface StateChange {
  readonly snapshot: StateSnapshot;
  /** JSON merge patch (RFC 7386) from the previous snapshot to this one; `null` deletes. */
  readonly patch: JsonObject;
}

/** What the device publishes as its full state (the `state` topic payload). */
export interface DeviceStateMessage {
  readonly device_id: string;
  readonly state: JsonObject;
  readonly version: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}
