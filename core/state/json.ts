/** JSON values as they travel on the wire; snapshots are deeply readonly. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;
export interface JsonArray extends ReadonlyArray<JsonValue> {}
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Owns nothing: a for-in over it meets only what was added, enumerable, to Object.prototype. */
const PROBE = {};

/**
 * Whether something enumerable was added to Object.prototype. The merge walks a patch with for-in
 * (V8 reads each member through its enum cache, well below Object.keys and a keyed load), which
 * also walks the prototype chain: when this is true it checks each key is the patch's own.
 */
export function objectPrototypeHasEnumerable(): boolean {
  for (const _ in PROBE) return true;
  return false;
}
