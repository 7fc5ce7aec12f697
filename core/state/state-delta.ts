import { isJsonObject, type JsonObject } from './json.js';
import { deepEqual } from './merge-patch.js';

/**
 * Desired minus reported: the members of `desired` whose value `reported` does not already have,
 * recursing into objects present on both sides. A `null` (or absent) desired member asks for
 * nothing and is ignored; arrays and primitives compare by value. The result is frozen.
 */
export function computeDelta(desired: JsonObject, reported: JsonObject): JsonObject {
  const delta: Record<string, JsonObject[string]> = {};
  for (const key of Object.keys(desired)) {
    const want = desired[key];
    if (want === null || want === undefined) continue;
    const have = Object.hasOwn(reported, key) ? reported[key] : undefined;
    if (isJsonObject(want)) {
      const nested = computeDelta(want, isJsonObject(have) ? have : {});
      if (Object.keys(nested).length > 0) delta[key] = nested;
    } else if (!deepEqual(want, have)) {
      delta[key] = want;
    }
  }
  return Object.freeze(delta);
}
