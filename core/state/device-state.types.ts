import type { Observable } from 'rxjs';
import type { JsonObject } from './json.js';
import type { StateChange, StateSnapshot } from './snapshot.js';

/**
 * The device's model of itself. `reported$` replays the current snapshot to new subscribers;
 * `changes$` emits each real change with its patch; `desired$` holds what the far end asked for
 * and `delta$` what of it the reported state does not yet satisfy.
 */
export interface DeviceStateStore {
  readonly reported$: Observable<StateSnapshot>;
  readonly changes$: Observable<StateChange>;
  readonly desired$: Observable<JsonObject>;
  readonly delta$: Observable<JsonObject>;
  readonly snapshot: StateSnapshot;
  readonly version: number;
  /** Applies a JSON merge patch to reported state; returns the change, or undefined if nothing changed. */
  patch(patch: JsonObject): StateChange | undefined;
  /** Merges a patch into desired state (or replaces it when `full`). */
  setDesired(patch: JsonObject, full?: boolean): void;
}
