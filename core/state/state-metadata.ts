import { isJsonObject, type JsonObject } from './json.js';
import type { StateMetadata } from './snapshot.js';

/**
 * The compact record behind StateMetadata that a snapshot keeps: the state's shape with, for each
 * leaf (primitive or array), when it last changed as milliseconds after STAMP_EPOCH. Stamps are
 * small integers (no boxed number per leaf) and unchanged subtrees are shared between
 * versions, so an update keeps one small node per changed level: a fleet's snapshots live about a
 * second, long enough to be promoted, and the garbage collector copies every byte they keep.
 */
export interface Stamps {
  readonly [key: string]: number | Stamps;
}

/**
 * What stamps count from: this process's start, so they stay small integers (V8's Smis, stored
 * in place) for its first 24 days; later ones are ordinary numbers, just as exact.
 */
const STAMP_EPOCH = Date.now();

/** The stamp of epoch milliseconds `timestamp`. */
export function stampOf(timestamp: number): number {
  return timestamp - STAMP_EPOCH;
}

/** Stamps for `state` with every leaf stamped `stamp`. */
export function stampAll(state: JsonObject, stamp: number): Stamps {
  const stamps: Record<string, number | Stamps> = {};
  for (const key of Object.keys(state)) {
    const value = state[key]!;
    stamps[key] = isJsonObject(value) ? stampAll(value, stamp) : stamp;
  }
  return Object.freeze(stamps);
}

/**
 * The stamps after `patch` (the minimal merge patch from `before` to `after`) was applied:
 * changed leaves get `stamp`, removed keys disappear, the rest is shared unchanged.
 */
export function updateStamps(stamps: Stamps, before: JsonObject, after: JsonObject, patch: JsonObject, stamp: number): Stamps {
  const result: Record<string, number | Stamps> = { ...stamps };
  for (const key of Object.keys(patch)) {
    const change = patch[key];
    const value = after[key];
    if (change === null || value === undefined) {
      delete result[key];
      continue;
    }
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    const oldStamps = stamps[key];
    if (isJsonObject(value) && isJsonObject(old) && isJsonObject(change) && typeof oldStamps === 'object') {
      // Only a nested diff when the key held an object before; otherwise `change` is the whole value.
      result[key] = updateStamps(oldStamps, old, value, change, stamp);
    } else {
      result[key] = isJsonObject(value) ? stampAll(value, stamp) : stamp;
    }
  }
  return Object.freeze(result);
}

/** The public, per-leaf `{ timestamp }` view of `stamps`, deeply frozen. */
export function metadataOf(stamps: Stamps): StateMetadata {
  const metadata: Record<string, { readonly timestamp: number } | StateMetadata> = {};
  for (const key of Object.keys(stamps)) {
    const stamp = stamps[key]!;
    metadata[key] = typeof stamp === 'number' ? Object.freeze({ timestamp: STAMP_EPOCH + stamp }) : metadataOf(stamp);
  }
  return Object.freeze(metadata);
}
