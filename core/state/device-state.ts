import { inject, injectable, optional } from 'inversify';
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { TOKENS } from '../plugins/tokens.js';
import type { DeviceStateStore } from './device-state.types.js';
import type { JsonObject } from './json.js';
import { applyMergePatch, applyMergePatchWithEffect, deepEqual } from './merge-patch.js';
import { stampMetadata, updateMetadata } from './state-metadata.js';
import { computeDelta } from './state-delta.js';
import type { StateChange, StateSnapshot } from './snapshot.js';
import { VERSION_LEASE, type VersionStore } from './version-store.js';
import { assertWithinDesiredLimits, DEFAULT_DESIRED_LIMITS, type DesiredLimits } from './desired-limits.js';

/** DI token for an optional initial reported state (a JsonObject) of the DeviceState. */
export const INITIAL_DEVICE_STATE = Symbol.for('amora.device-state.initial');

const EMPTY: JsonObject = Object.freeze({});

/**
 * The device's model of itself (see DeviceStateStore). Snapshots are deeply frozen and share
 * unchanged subtrees with the previous version. Everything happens synchronously inside `patch()`
 * and `setDesired()`: by the time they return, subscribers have seen the new values.
 *
 * The initial state is version 0; it goes through the merge-patch rules like any patch, so `null`
 * members are dropped and unsafe keys are refused. With a VersionStore the version survives
 * restarts: a new run starts just above the ceiling the last one recorded (see VersionStore).
 */
@injectable()
export class DeviceState implements DeviceStateStore {
  // The values are plain fields; each stream's subject is made when the stream is first asked
  // for. An agent of a fleet is rarely watched, and a subject's `next` on every update (even with
  // nobody listening) is work and memory the fleet multiplies.
  private current: StateSnapshot;
  private desiredValue: JsonObject = EMPTY;
  private deltaValue: JsonObject = EMPTY;
  private reported?: BehaviorSubject<StateSnapshot>;
  private changes?: Subject<StateChange>;
  private desired?: BehaviorSubject<JsonObject>;
  private delta?: BehaviorSubject<JsonObject>;
  private disposed = false;
  private readonly versions: VersionStore | undefined;
  private readonly desiredLimits: DesiredLimits;
  /** Highest version handed out without recording a new ceiling first. */
  private versionCeiling = Number.MAX_SAFE_INTEGER;
  /** The agent's own listeners (see onChange, onDesired). */
  private changeListener: ((change: StateChange) => void) | undefined;
  private desiredListener: ((desired: JsonObject) => void) | undefined;

  constructor(
    @inject(TOKENS.Clock) @optional() private readonly clock: Clock = systemClock,
    @inject(INITIAL_DEVICE_STATE) @optional() initial?: JsonObject,
    @inject(TOKENS.VersionStore) @optional() versions?: VersionStore,
    @inject(TOKENS.DesiredLimits) @optional() desiredLimits?: Partial<DesiredLimits>,
  ) {
    this.desiredLimits = { ...DEFAULT_DESIRED_LIMITS, ...desiredLimits };
    const state = applyMergePatch({}, initial ?? {});
    const now = clock.now();
    this.versions = versions;
    let version = 0;
    if (versions) {
      const previous = versions.load();
      version = previous === 0 ? 0 : previous + 1;
      this.versionCeiling = version + VERSION_LEASE;
      versions.save(this.versionCeiling);
    }
    this.current = Object.freeze({ state, version, timestamp: now, metadata: stampMetadata(state, now) });
  }

  get reported$(): Observable<StateSnapshot> {
    return (this.reported ??= this.made(new BehaviorSubject(this.current))).asObservable();
  }

  get changes$(): Observable<StateChange> {
    return (this.changes ??= this.made(new Subject<StateChange>())).asObservable();
  }

  get desired$(): Observable<JsonObject> {
    return (this.desired ??= this.made(new BehaviorSubject(this.desiredValue))).asObservable();
  }

  /**
   * delta is recomputed once per change and only emitted when it differs, so the subject
   * already behaves like distinctUntilChanged(deepEqual) for every subscriber.
   */
  get delta$(): Observable<JsonObject> {
    return (this.delta ??= this.made(new BehaviorSubject(this.deltaValue))).asObservable();
  }

  get snapshot(): StateSnapshot {
    return this.current;
  }

  get version(): number {
    return this.current.version;
  }

  /** The current desired state (merge of everything the far end asked for). */
  get desiredState(): JsonObject {
    return this.desiredValue;
  }

  /**
   * Core-internal: the agent's one listener for changes, called before changes$ subscribers. A
   * plain callback costs a fraction of the RxJS subscription every agent of a fleet would keep
   * for its life. Returns what removes it.
   */
  onChange(listener: (change: StateChange) => void): () => void {
    this.changeListener = listener;
    return () => {
      if (this.changeListener === listener) this.changeListener = undefined;
    };
  }

  /** Core-internal, as onChange: the agent's one listener for desired state, called now and on every change. */
  onDesired(listener: (desired: JsonObject) => void): () => void {
    this.desiredListener = listener;
    listener(this.desiredValue);
    return () => {
      if (this.desiredListener === listener) this.desiredListener = undefined;
    };
  }

  /**
   * Applies a merge patch to reported state. Returns undefined (and emits nothing) when the patch
   * changes nothing; otherwise bumps the version by one and returns the change with the minimal
   * effective patch. @throws CommandError `invalid_params` for an unsafe patch (see merge-patch.ts).
   */
  patch(patch: JsonObject): StateChange | undefined {
    const previous = this.current;
    // One walk over the patch, not a diff of the whole state: the cost follows the patch's size.
    const { result: state, effective } = applyMergePatchWithEffect(previous.state, patch);
    if (state === previous.state) return undefined;
    const timestamp = this.clock.now();
    const version = previous.version + 1;
    if (version > this.versionCeiling) {
      // Recorded before the version is used, so no later run can start at or below it.
      this.versionCeiling = version + VERSION_LEASE;
      this.versions?.save(this.versionCeiling);
    }
    const snapshot: StateSnapshot = Object.freeze({
      state,
      version,
      timestamp,
      metadata: updateMetadata(previous, state, effective, timestamp),
    });
    const change: StateChange = Object.freeze({ snapshot, patch: effective });
    this.current = snapshot;
    this.reported?.next(snapshot);
    this.changeListener?.(change);
    this.changes?.next(change);
    this.refreshDelta();
    return change;
  }

  /**
   * Merges `patch` into desired state, or replaces desired state with it when `full`. A refused
   * patch leaves desired state as it was.
   * @throws CommandError `invalid_params` for an unsafe patch, `payload_too_large` when the result
   * would exceed the desired limits (size, keys).
   */
  setDesired(patch: JsonObject, full = false): void {
    const next = applyMergePatch(full ? {} : this.desiredValue, patch);
    if (deepEqual(next, this.desiredValue)) return;
    assertWithinDesiredLimits(next, this.desiredLimits);
    this.desiredValue = next;
    this.desired?.next(next);
    this.desiredListener?.(next);
    this.refreshDelta();
  }

  /** Completes every stream; the store must not be used afterwards. */
  dispose(): void {
    this.disposed = true;
    this.reported?.complete();
    this.changes?.complete();
    this.desired?.complete();
    this.delta?.complete();
  }

  /** A stream's subject, completed at once when the store is already disposed. */
  private made<S extends { complete(): void }>(subject: S): S {
    if (this.disposed) subject.complete();
    return subject;
  }

  private refreshDelta(): void {
    // Nothing desired, nothing missing: the usual case needs no walk over reported state.
    if (Object.keys(this.desiredValue).length === 0 && Object.keys(this.deltaValue).length === 0) return;
    const delta = computeDelta(this.desiredValue, this.current.state);
    if (deepEqual(delta, this.deltaValue)) return;
    this.deltaValue = delta;
    this.delta?.next(delta);
  }
}
