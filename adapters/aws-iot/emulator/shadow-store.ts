import { applyMergePatch, type JsonObject } from '../../../core/index.js';
import { computeDelta, deepEqual } from '../../../core/internal.js';
import {
  SHADOW_STATE_LIMIT_BYTES,
  shadowStateBytes,
  type ShadowDeleteAccepted,
  type ShadowDelta,
  type ShadowDocumentSnapshot,
  type ShadowDocuments,
  type ShadowGetAccepted,
  type ShadowMetadata,
  type ShadowUpdateAccepted,
} from '../shadow-document.js';
import { mergeMetadata, pickMetadata, stampSection } from './shadow-metadata.js';
import { parseRequestJson, readClientToken, validateUpdate, type ShadowError } from './shadow-request.js';

/**
 * The Device Shadow service's state machine, free of any network: get, update and delete of
 * classic and named shadows with versions, metadata, delta and documents, and the service's
 * error answers (400, 404, 409, 413). The MQTT and REST front ends both call it, so an update
 * made over either produces the same notifications.
 */

/** Where a shadow lives: a thing and, for a named shadow, its name. */
export interface ShadowAddress {
  readonly thingName: string;
  readonly shadowName?: string;
}

export type GetOutcome = { readonly ok: true; readonly accepted: ShadowGetAccepted } | { readonly ok: false; readonly error: ShadowError };

export type UpdateOutcome =
  | {
      readonly ok: true;
      readonly accepted: ShadowUpdateAccepted;
      /** Present when desired and reported differ after the update and the difference changed. */
      readonly delta?: ShadowDelta;
      readonly documents: ShadowDocuments;
    }
  | { readonly ok: false; readonly error: ShadowError };

export type DeleteOutcome = { readonly ok: true; readonly accepted: ShadowDeleteAccepted } | { readonly ok: false; readonly error: ShadowError };

interface StoredShadow {
  desired?: JsonObject;
  reported?: JsonObject;
  metaDesired?: ShadowMetadata;
  metaReported?: ShadowMetadata;
  version: number;
  /** False after a delete: the version survives, the state does not. */
  exists: boolean;
}

export interface ShadowStoreOptions {
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
  readonly stateLimitBytes?: number;
}

export class ShadowStore {
  private readonly shadows = new Map<string, StoredShadow>();
  private readonly now: () => number;
  private readonly limit: number;

  constructor(options: ShadowStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.limit = options.stateLimitBytes ?? SHADOW_STATE_LIMIT_BYTES;
  }

  get(address: ShadowAddress, payload: Uint8Array | string = ''): GetOutcome {
    const clientToken = readClientToken(parseRequestJson(payload));
    const shadow = this.shadows.get(key(address));
    if (!shadow?.exists) return { ok: false, error: withToken(notFound(address), clientToken) };
    const delta = computeDelta(shadow.desired ?? {}, shadow.reported ?? {});
    const state: { desired?: JsonObject; reported?: JsonObject; delta?: JsonObject } = {};
    if (shadow.desired) state.desired = shadow.desired;
    if (shadow.reported) state.reported = shadow.reported;
    if (Object.keys(delta).length > 0) state.delta = delta;
    return {
      ok: true,
      accepted: withToken({ state, metadata: metadataOf(shadow), version: shadow.version, timestamp: this.seconds() }, clientToken),
    };
  }

  update(address: ShadowAddress, payload: Uint8Array | string): UpdateOutcome {
    const validation = validateUpdate(parseRequestJson(payload));
    if (!validation.ok) return validation;
    const { desired, reported, clientToken, version } = validation.update;
    const id = key(address);
    const shadow: StoredShadow = this.shadows.get(id) ?? { version: 0, exists: false };

    if (version !== undefined && version !== shadow.version) {
      return { ok: false, error: withToken({ code: 409, message: 'Version conflict' }, clientToken) };
    }

    const before = shadow.exists ? snapshotOf(shadow) : undefined;
    const deltaBefore = shadow.exists ? computeDelta(shadow.desired ?? {}, shadow.reported ?? {}) : {};
    const nextDesired = mergeSection(shadow.exists ? shadow.desired : undefined, desired);
    const nextReported = mergeSection(shadow.exists ? shadow.reported : undefined, reported);
    if (shadowStateBytes({ desired: nextDesired, reported: nextReported }) > this.limit) {
      return { ok: false, error: withToken({ code: 413, message: 'The payload exceeds the maximum size allowed' }, clientToken) };
    }

    const timestamp = this.seconds();
    const next: StoredShadow = {
      version: shadow.version + 1,
      exists: true,
      ...optional('desired', nextDesired),
      ...optional('reported', nextReported),
      ...optional('metaDesired', nextMetadata(shadow.exists ? shadow.metaDesired : undefined, desired, nextDesired, timestamp)),
      ...optional('metaReported', nextMetadata(shadow.exists ? shadow.metaReported : undefined, reported, nextReported, timestamp)),
    };
    this.shadows.set(id, next);

    const requestState: { desired?: JsonObject | null; reported?: JsonObject | null } = {};
    const requestMeta: { desired?: ShadowMetadata; reported?: ShadowMetadata } = {};
    if (desired !== undefined) {
      requestState.desired = desired;
      if (desired) requestMeta.desired = stampSection(desired, timestamp);
    }
    if (reported !== undefined) {
      requestState.reported = reported;
      if (reported) requestMeta.reported = stampSection(reported, timestamp);
    }
    const accepted = withToken({ state: requestState, metadata: requestMeta, version: next.version, timestamp }, clientToken);

    const deltaAfter = computeDelta(next.desired ?? {}, next.reported ?? {});
    const delta =
      Object.keys(deltaAfter).length > 0 && !deepEqual(deltaAfter, deltaBefore)
        ? withToken({ state: deltaAfter, metadata: pickMetadata(next.metaDesired, deltaAfter), version: next.version, timestamp }, clientToken)
        : undefined;

    const documents: ShadowDocuments = withToken(
      before ? { previous: before, current: snapshotOf(next), timestamp } : { current: snapshotOf(next), timestamp },
      clientToken,
    );
    return delta ? { ok: true, accepted, delta, documents } : { ok: true, accepted, documents };
  }

  delete(address: ShadowAddress, payload: Uint8Array | string = ''): DeleteOutcome {
    const clientToken = readClientToken(parseRequestJson(payload));
    const id = key(address);
    const shadow = this.shadows.get(id);
    if (!shadow?.exists) return { ok: false, error: withToken(notFound(address), clientToken) };
    // The version survives a delete, so a re-created shadow continues the sequence.
    this.shadows.set(id, { version: shadow.version, exists: false });
    return { ok: true, accepted: withToken({ version: shadow.version, timestamp: this.seconds() }, clientToken) };
  }

  /** Names of a thing's existing named shadows, sorted. */
  listNamedShadows(thingName: string): string[] {
    const prefix = `${thingName}\u0000`;
    const names: string[] = [];
    for (const [id, shadow] of this.shadows) {
      if (shadow.exists && id.startsWith(prefix) && id.length > prefix.length) names.push(id.slice(prefix.length));
    }
    return names.toSorted();
  }

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function key(address: ShadowAddress): string {
  return `${address.thingName}\u0000${address.shadowName ?? ''}`;
}

function notFound(address: ShadowAddress): ShadowError {
  return { code: 404, message: `No shadow exists with name: '${address.shadowName ?? address.thingName}'` };
}

function withToken<T extends object>(value: T, clientToken: string | undefined): T & { clientToken?: string } {
  return clientToken === undefined ? value : { ...value, clientToken };
}

function optional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

/** A `null` section removes it; an emptied section disappears rather than lingering as `{}`. */
function mergeSection(current: JsonObject | undefined, patch: JsonObject | null | undefined): JsonObject | undefined {
  if (patch === undefined) return current;
  if (patch === null) return undefined;
  const merged = applyMergePatch(current ?? {}, patch);
  return Object.keys(merged).length === 0 ? undefined : merged;
}

function nextMetadata(
  current: ShadowMetadata | undefined,
  patch: JsonObject | null | undefined,
  section: JsonObject | undefined,
  timestamp: number,
): ShadowMetadata | undefined {
  if (section === undefined) return undefined;
  if (patch === undefined || patch === null) return current;
  return mergeMetadata(current, patch, timestamp);
}

function metadataOf(shadow: StoredShadow): { desired?: ShadowMetadata; reported?: ShadowMetadata } {
  return { ...optional('desired', shadow.metaDesired), ...optional('reported', shadow.metaReported) };
}

function snapshotOf(shadow: StoredShadow): ShadowDocumentSnapshot {
  return {
    state: { ...optional('desired', shadow.desired), ...optional('reported', shadow.reported) },
    metadata: metadataOf(shadow),
    version: shadow.version,
  };
}
