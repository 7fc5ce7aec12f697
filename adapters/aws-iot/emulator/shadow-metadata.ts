import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '../../../core/index.js';
import type { ShadowMetadata, ShadowMetadataLeaf } from '../shadow-document.js';

/**
 * Shadow metadata: the time each leaf of desired and reported was last written, in the shape of
 * the state (an array gets one `{timestamp}` per element, as the service does).
 */

type MutableMetadata = Record<string, ShadowMetadataLeaf | readonly ShadowMetadataLeaf[]>;

function isLeaf(value: unknown): value is { timestamp: number } {
  return isJsonObject(value as JsonValue) && Object.keys(value as object).length === 1 && typeof (value as { timestamp?: unknown }).timestamp === 'number';
}

function stampValue(value: JsonValue, timestamp: number): ShadowMetadataLeaf | readonly ShadowMetadataLeaf[] {
  if (Array.isArray(value)) return value.map((item: JsonValue) => stampValue(item, timestamp) as ShadowMetadataLeaf);
  if (isJsonObject(value)) return stampSection(value, timestamp);
  return { timestamp };
}

/** Metadata for exactly the members a request section names (deleted members included). */
export function stampSection(section: JsonObject, timestamp: number): ShadowMetadata {
  const result: MutableMetadata = {};
  for (const [key, value] of Object.entries(section)) result[key] = stampValue(value, timestamp);
  return result as ShadowMetadata;
}

/** Applies a request section (merge-patch semantics) to stored metadata; undefined when nothing is left. */
export function mergeMetadata(existing: ShadowMetadata | undefined, section: JsonObject, timestamp: number): ShadowMetadata | undefined {
  const result: MutableMetadata = { ...existing };
  for (const [key, value] of Object.entries(section)) {
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const current = result[key];
      const nested = isLeaf(current) || Array.isArray(current) || current === undefined ? undefined : (current as ShadowMetadata);
      const merged = mergeMetadata(nested, value, timestamp);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = stampValue(value, timestamp);
    }
  }
  return Object.keys(result).length === 0 ? undefined : (result as ShadowMetadata);
}

/** The part of `metadata` whose keys appear in `shape` (used to stamp a delta). */
export function pickMetadata(metadata: ShadowMetadata | undefined, shape: JsonObject): ShadowMetadata {
  const result: MutableMetadata = {};
  if (!metadata) return result as ShadowMetadata;
  for (const [key, value] of Object.entries(shape)) {
    const entry = metadata[key];
    if (entry === undefined) continue;
    result[key] = isJsonObject(value) && !isLeaf(entry) && !Array.isArray(entry) ? pickMetadata(entry as ShadowMetadata, value) : entry;
  }
  return result as ShadowMetadata;
}
