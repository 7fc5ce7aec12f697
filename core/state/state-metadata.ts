import { isJsonObject, type JsonObject } from './json.js';
import type { StateMetadata, StateSnapshot } from './snapshot.js';

type LeafMetadata = { readonly timestamp: number };

/** Metadata for `state` with every leaf (primitive or array) stamped with `timestamp`. */
export function stampMetadata(state: JsonObject, timestamp: number): StateMetadata {
  const leaf: LeafMetadata = Object.freeze({ timestamp });
  const stamp = (object: JsonObject): StateMetadata => {
    const metadata: Record<string, LeafMetadata | StateMetadata> = {};
    for (const key of Object.keys(object)) {
      const value = object[key]!;
      metadata[key] = isJsonObject(value) ? stamp(value) : leaf;
    }
    return Object.freeze(metadata);
  };
  return stamp(state);
}

/**
 * The metadata after `effective` (the minimal merge patch from `previous.state` to `state`) was
 * applied: changed leaves get `timestamp`, removed keys disappear, the rest is shared unchanged.
 */
export function updateMetadata(
  previous: Pick<StateSnapshot, 'state' | 'metadata'>,
  state: JsonObject,
  effective: JsonObject,
  timestamp: number,
): StateMetadata {
  // One frozen leaf for every leaf this change stamps: they are all alike.
  return update(previous.metadata, previous.state, state, effective, Object.freeze({ timestamp }));
}

function update(
  metadata: StateMetadata,
  before: JsonObject,
  after: JsonObject,
  patch: JsonObject,
  leaf: LeafMetadata,
): StateMetadata {
  const result: Record<string, LeafMetadata | StateMetadata> = { ...metadata };
  for (const key of Object.keys(patch)) {
    const change = patch[key];
    const value = after[key];
    if (change === null || value === undefined) {
      delete result[key];
      continue;
    }
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    const oldMetadata = metadata[key];
    if (isJsonObject(value) && isJsonObject(old) && isJsonObject(change) && oldMetadata !== undefined) {
      // Only a nested diff when the key held an object before; otherwise `change` is the whole value.
      result[key] = update(oldMetadata as StateMetadata, old, value, change, leaf);
    } else {
      result[key] = isJsonObject(value) ? stampMetadata(value, leaf.timestamp) : leaf;
    }
  }
  return Object.freeze(result);
}
