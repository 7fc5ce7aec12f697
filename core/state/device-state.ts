import { inject, injectable, optional } from 'inversify';
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { TOKENS } from '../plugins/tokens.js';
import type { DeviceStateStore } from './device-state.types.js';
import type { JsonObject } from './json.js';
import { applyMergePatch, createMergePatch, deepEqual } from './merge-patch.js';
import { stampMetadata, updateMetadata } from './state-metadata.js';
import { computeDelta } from './state-delta.js';
import type { StateChange, StateSnapshot } from './snapshot.js';

/** DI token for an optional initial reported state (a JsonObject) of the DeviceState. */
export const INITIAL_DEVICE_STATE = Symbol.for('amora.device-state.initial');

/**
 * The device's model of itself (see DeviceStateStore). Snapshots are deeply frozen and share
 * unchanged subtrees with the previous version. Everything happens synchronously inside `patch()`
 * and `setDesired()`: by the time they return, subscribers have seen the new values.
 *
 * The initial state is version 0; it goes through the merge-patch rules like any patch, so `null`
 * members are dropped and unsafe keys are refused.
 */
@injectable()
export class DeviceState implements DeviceStateStore {
  readonly reported$: Observable<StateSnapshot>;
  readonly changes$: Observable<StateChange>;
  readonly desired$: Observable<JsonObject>;
  readonly delta$: Observable<JsonObject>;

  private readonly reported: BehaviorSubject<StateSnapshot>;
  private readonly changes = new Subject<StateChange>();
  private readonly desired = new BehaviorSubject<JsonObject>(Object.freeze({}));
  private readonly delta = new BehaviorSubject<JsonObject>(Object.freeze({}));

  constructor(
    @inject(TOKENS.Clock) @optional() private readonly clock: Clock = systemClock,
    @inject(INITIAL_DEVICE_STATE) @optional() initial?: JsonObject,
  ) {
    const state = applyMergePatch({}, initial ?? {});
    const now = clock.now();
    this.reported = new BehaviorSubject<StateSnapshot>(
      Object.freeze({ state, version: 0, timestamp: now, metadata: stampMetadata(state, now) }),
    );
    this.reported$ = this.reported.asObservable();
    this.changes$ = this.changes.asObservable();
    this.desired$ = this.desired.asObservable();
    // delta is recomputed once per change and only emitted when it differs, so the subject
    // already behaves like distinctUntilChanged(deepEqual) for every subscriber.
    this.delta$ = this.delta.asObservable();
  }

  get snapshot(): StateSnapshot {
    return this.reported.value;
  }

  get version(): number {
    return this.reported.value.version;
  }

  /** The current desired state (merge of everything the far end asked for). */
  get desiredState(): JsonObject {
    return this.desired.value;
  }

  /**
   * Applies a merge patch to reported state. Returns undefined (and emits nothing) when the patch
   * changes nothing; otherwise bumps the version by one and returns the change with the minimal
   * effective patch. @throws CommandError `invalid_params` for an unsafe patch (see merge-patch.ts).
   */
  patch(patch: JsonObject): StateChange | undefined {
    const previous = this.reported.value;
    const state = applyMergePatch(previous.state, patch);
    if (state === previous.state) return undefined;
    const effective = createMergePatch(previous.state, state);
    // applyMergePatch returns the target itself when nothing changed; this is only a safety net.
    if (Object.keys(effective).length === 0) return undefined;
    const timestamp = this.clock.now();
    const snapshot: StateSnapshot = Object.freeze({
      state,
      version: previous.version + 1,
      timestamp,
      metadata: updateMetadata(previous, state, effective, timestamp),
    });
    const change: StateChange = Object.freeze({ snapshot, patch: effective });
    this.reported.next(snapshot);
    this.changes.next(change);
    this.refreshDelta();
    return change;
  }

  /**
   * Merges `patch` into desired state, or replaces desired state with it when `full`.
   * @throws CommandError `invalid_params` for an unsafe patch.
   */
  setDesired(patch: JsonObject, full = false): void {
    const next = applyMergePatch(full ? {} : this.desired.value, patch);
    if (deepEqual(next, this.desired.value)) return;
    this.desired.next(next);
    this.refreshDelta();
  }

  /** Completes every stream; the store must not be used afterwards. */
  dispose(): void {
    this.reported.complete();
    this.changes.complete();
    this.desired.complete();
    this.delta.complete();
  }

  private refreshDelta(): void {
    const delta = computeDelta(this.desired.value, this.reported.value.state);
    if (!deepEqual(delta, this.delta.value)) this.delta.next(delta);
  }
}
