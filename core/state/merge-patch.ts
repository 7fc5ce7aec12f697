/**
 * JSON merge patch (RFC 7386) over immutable JSON objects.
 *
 * - `null` in a patch deletes the key; objects merge recursively; arrays and primitives replace.
 * - Inputs are never mutated (not even frozen). Results are new frozen nodes where something
 *   changed and the target's own nodes where nothing did (structural sharing), so applying a patch
 *   that changes nothing returns the target itself, and `result === target` is a cheap
 *   "no change" test. Results are deeply frozen when the target was (DeviceState's always is).
 * - A consequence of RFC 7386 worth knowing: a patch cannot set a member to `null`, and applying
 *   a patch strips `null` members from objects it adds. `null` inside arrays is kept (arrays are
 *   opaque values).
 *
 * Patches come from the outside (desired state from a cloud, a profile's updates), so
 * `applyMergePatch` refuses, by throwing `CommandError` with code `invalid_params` and
 * `details: {field, reason}`, any patch that holds a key `__proto__`, `constructor` or `prototype`
 * (anywhere, arrays included), non-JSON values, or nesting deeper than 64 levels. Such keys are
 * never written onto an object.
 */
import { CommandError } from '../errors.js';
import { DEFAULT_MAX_JSON_DEPTH, findJsonProblem, isPlainJson, isUnsafeKey } from './json-guard.js';
import { isJsonObject, objectPrototypeHasEnumerable, type JsonArray, type JsonObject, type JsonValue } from './json.js';

const EMPTY: JsonObject = Object.freeze({});

/**
 * What the merge walk returns when it meets something in the patch it cannot vouch for. The walk
 * checks the patch as it goes (one walk, not a guard's walk and then the merge's); on this answer
 * the caller leaves the verdict, and its exact message, to the guard.
 */
const UNCHECKED: JsonObject = Object.freeze({});

/**
 * Applies `patch` to `target` (RFC 7386) and returns the result; see the module comment.
 * Members of the patch whose value is `undefined` are treated as absent, as JSON.stringify does.
 * @throws CommandError `invalid_params` for an unsafe or non-JSON patch.
 */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  assertPatchObject(patch);
  const foreign = objectPrototypeHasEnumerable();
  const result = mergeObject(target, patch, undefined, 0, foreign);
  if (result !== UNCHECKED) return result;
  assertSafePatch(patch);
  return mergeObject(target, patch, undefined, -1, foreign);
}

/**
 * `applyMergePatch`, and the effective patch found on the way: what really changed, exactly as
 * `createMergePatch(target, result)` would give it (`{}` when nothing did), without a second walk
 * over the whole document. Its nodes are frozen or shared with `result`.
 * @throws CommandError `invalid_params` for an unsafe or non-JSON patch.
 */
export function applyMergePatchWithEffect(target: JsonObject, patch: JsonObject): { readonly result: JsonObject; readonly effective: JsonObject } {
  assertPatchObject(patch);
  let effective: Record<string, JsonValue> = {};
  const foreign = objectPrototypeHasEnumerable();
  let result = mergeObject(target, patch, effective, 0, foreign);
  if (result === UNCHECKED) {
    assertSafePatch(patch);
    effective = {};
    result = mergeObject(target, patch, effective, -1, foreign);
  }
  return { result, effective: Object.freeze(effective) };
}

/** Throws `CommandError('invalid_params')` unless `patch` is a safe JSON object (see module comment). */
export function assertSafePatch(patch: unknown): asserts patch is JsonObject {
  assertPatchObject(patch);
  const problem = findJsonProblem(patch, { allowUndefinedMembers: true });
  if (problem) {
    throw new CommandError('invalid_params', `invalid merge patch: ${problem.message}`, {
      details: { field: problem.path, reason: problem.kind },
    });
  }
}

function assertPatchObject(patch: unknown): asserts patch is JsonObject {
  if (!isJsonObject(patch)) {
    throw new CommandError('invalid_params', 'a merge patch must be a JSON object', {
      details: { field: '', reason: 'not_json' },
    });
  }
}

/**
 * Merges; when `effective` is given, records in it each change made (see applyMergePatchWithEffect).
 * `depth` is the patch node's depth, checked as the guard does (findJsonProblem with
 * allowUndefinedMembers); -1 when the guard has already passed the patch. Returns UNCHECKED, having
 * changed nothing, on anything the checks here cannot vouch for.
 */
function mergeObject(
  target: JsonObject,
  patch: JsonObject,
  effective: Record<string, JsonValue> | undefined,
  depth: number,
  foreign: boolean,
): JsonObject {
  const check = depth >= 0;
  if (check) {
    if (depth >= DEFAULT_MAX_JSON_DEPTH) return UNCHECKED;
    const proto: unknown = Object.getPrototypeOf(patch);
    if (proto !== Object.prototype && proto !== null) return UNCHECKED;
  }
  // Copied lazily so an ineffective patch allocates nothing and returns `target` itself.
  let result: Record<string, JsonValue> | undefined;
  // for-in reads each member through V8's enum cache, well below Object.keys and a keyed load per
  // member. It also walks the prototype chain: when something enumerable was added to
  // Object.prototype (`foreign`), each key is checked to be the patch's own, as Object.keys would.
  for (const key in patch) {
    if (foreign && !Object.hasOwn(patch, key)) continue;
    if (check && isUnsafeKey(key)) return UNCHECKED;
    const value = patch[key];
    if (value === undefined) continue;
    // Objects are checked by the recursion; primitives and arrays by the guard's quick walk
    // (deepEqual below could call a non-JSON array equal to a JSON one).
    if (check && !isJsonObject(value) && !isPlainJson(value, depth + 1, DEFAULT_MAX_JSON_DEPTH, true)) return UNCHECKED;
    // JSON values are never functions: unless something was added to Object.prototype, a function
    // here is inherited and anything else the target's own (`__proto__` and `constructor` never get
    // this far). Cheaper than Object.hasOwn per key.
    const found = target[key];
    const present = foreign ? Object.hasOwn(target, key) : found !== undefined && typeof found !== 'function';
    const current = present ? found : undefined;
    let next: JsonValue | undefined;
    let change: JsonValue;
    if (value === null) {
      if (!present) continue;
      next = undefined;
      change = null;
    } else if (isJsonObject(value)) {
      // Into an object the change is itself a nested patch; over anything else, the whole new value.
      const nested = effective && isJsonObject(current) ? {} : undefined;
      next = mergeObject(isJsonObject(current) ? current : EMPTY, value, nested, check ? depth + 1 : -1, foreign);
      if (next === UNCHECKED) return UNCHECKED;
      if (next === current) continue;
      change = nested ? Object.freeze(nested) : next;
    } else {
      if (present && deepEqual(current, value)) continue;
      next = frozenCopy(value);
      change = next;
    }
    if (effective) effective[key] = change;
    // Spread copies with define semantics, so even an odd key in `target` cannot reach a prototype.
    result ??= { ...target };
    if (next === undefined) delete result[key];
    else result[key] = next;
  }
  return result === undefined ? target : Object.freeze(result);
}

/**
 * The smallest merge patch that turns `from` into `to`: `{}` when they are deep-equal.
 * `applyMergePatch(from, createMergePatch(from, to))` deep-equals `to` whenever `to` holds no
 * `null` object members (RFC 7386 cannot express those). New patch nodes are frozen; the patch
 * shares unchanged subtrees of `to`, so treat it as read-only.
 */
export function createMergePatch(from: JsonObject, to: JsonObject): JsonObject {
  const patch: Record<string, JsonValue> = {};
  for (const key of Object.keys(from)) {
    if (from[key] !== undefined && (!Object.hasOwn(to, key) || to[key] === undefined)) patch[key] = null;
  }
  for (const key of Object.keys(to)) {
    const next = to[key];
    if (next === undefined) continue;
    if (!Object.hasOwn(from, key) || from[key] === undefined) {
      patch[key] = next;
      continue;
    }
    const previous = from[key]!;
    if (isJsonObject(previous) && isJsonObject(next)) {
      const nested = createMergePatch(previous, next);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!deepEqual(previous, next)) {
      patch[key] = next;
    }
  }
  return Object.freeze(patch);
}

/** Structural equality of JSON values (own enumerable keys, order-insensitive for objects). */
export function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const objectA = a as JsonObject;
  const objectB = b as JsonObject;
  const keys = Object.keys(objectA);
  if (keys.length !== Object.keys(objectB).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(objectB, key) || !deepEqual(objectA[key], objectB[key])) return false;
  }
  return true;
}

/** Freezes `value` and everything reachable from it, in place; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

/**
 * A deeply frozen copy of a JSON value taken from a patch, so the result never aliases (and
 * freezing never touches) the caller's objects. Object members that are `undefined` are dropped.
 */
function frozenCopy(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return Object.freeze((value as JsonArray).map(frozenCopy));
  const copy: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    const member = (value as JsonObject)[key];
    if (member !== undefined) copy[key] = frozenCopy(member);
  }
  return Object.freeze(copy);
}
