import type { JsonObject } from './json.js';

/**
 * How reported state reaches the far end (config `state.changes`).
 *
 * - `latest` (the default): the retained state message is a snapshot. A change made while the
 *   previous one is still being published, or while the transport is offline, merges into the
 *   next snapshot (latest wins), so a slow link never builds a backlog.
 * - `every`: the same snapshots, and every change besides, in order, as a `state_change`
 *   telemetry record (StateChangeRecord): for consumers that need each step (an audit trail, a
 *   counter that must not skip), not only where the device ended up.
 */
export const STATE_CHANGE_MODES = ['latest', 'every'] as const;

export type StateChangeMode = (typeof STATE_CHANGE_MODES)[number];

/** The telemetry kind of the stream of every change (`{p}/devices/{id}/telemetry/state_change` on MQTT). */
export const STATE_CHANGE_KIND = 'state_change';

/**
 * The data of one `state_change` record: the merge patch that turned version `version - 1` into
 * `version`. Versions rise by one per change, so a consumer sees a gap when a record was lost
 * (an outbox overflow, a rate limit) and can read the retained snapshot to catch up.
 */
export type StateChangeRecord = {
  readonly version: number;
  readonly patch: JsonObject;
};
