/**
 * Checks that a value from the outside (a command payload, a desired-state patch, a handler's
 * result) is plain JSON that is safe to copy into our own objects.
 *
 * "Safe" means: no key that could reach an object's prototype when someone later copies it with
 * assignment (`__proto__`, `constructor`, `prototype`), no nesting deeper than `maxDepth` (so the
 * recursive code behind it cannot overflow the stack), and only JSON types (finite numbers, plain
 * objects, arrays; no `undefined`, functions, class instances or cycles).
 *
 * The walk is iterative, so hostile input cannot make the guard itself overflow the stack.
 */

/** Deep enough for any real device state or command; shallow enough for recursion to stay safe. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

export type JsonProblemKind = 'unsafe_key' | 'too_deep' | 'not_json';

/** Why a value was refused, and where (dotted path; array indexes are numbers). */
export interface JsonProblem {
  readonly kind: JsonProblemKind;
  /** Dotted path of the offending value, e.g. `audio.__proto__` or `items.3`; '' for the root. */
  readonly path: string;
  readonly message: string;
}

export interface JsonGuardOptions {
  readonly maxDepth?: number;
  /**
   * Treat object members whose value is `undefined` as absent (as JSON.stringify does) instead of
   * refusing them. Default false.
   */
  readonly allowUndefinedMembers?: boolean;
}

/**
 * True when `key` must never be written onto an object: refused anywhere in external JSON objects,
 * because assigning it can pollute prototypes.
 */
export function isUnsafeKey(key: string): boolean {
  // Compared, not looked up in a Set: every key of every patch comes through here, and a Set
  // lookup hashes the key where a comparison of interned strings is a pointer test.
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/** Returns the first problem found in `value`, or undefined when it is safe plain JSON. */
export function findJsonProblem(value: unknown, options: JsonGuardOptions = {}): JsonProblem | undefined {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const allowUndefined = options.allowUndefinedMembers ?? false;
  // Nearly everything is fine: a quick walk that allocates nothing says so; only what it cannot
  // vouch for takes the careful walk below, which finds the problem and its path.
  if (isPlainJson(value, 0, Math.min(maxDepth, QUICK_DEPTH_LIMIT), allowUndefined)) return undefined;
  type Frame = { value: unknown; path: string; depth: number } | { leave: object };
  const stack: Frame[] = [{ value, path: '', depth: 0 }];
  // Containers on the path from the root: a child found among them is a cycle. A value shared
  // by two branches (not a cycle) is fine, JSON.stringify writes it twice.
  const ancestors = new Set<object>();

  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ('leave' in frame) {
      ancestors.delete(frame.leave);
      continue;
    }
    const { value: current, path, depth } = frame;
    switch (typeof current) {
      case 'string':
      case 'boolean':
        continue;
      case 'number':
        if (Number.isFinite(current)) continue;
        return { kind: 'not_json', path, message: `${describe(path)} is not a finite number` };
      case 'object':
        break;
      default:
        return { kind: 'not_json', path, message: `${describe(path)} is not a JSON value (${typeof current})` };
    }
    if (current === null) continue;
    if (depth >= maxDepth) {
      return { kind: 'too_deep', path, message: `${describe(path)} is nested deeper than ${maxDepth} levels` };
    }
    if (ancestors.has(current)) {
      return { kind: 'not_json', path, message: `${describe(path)} is a circular reference` };
    }
    ancestors.add(current);
    stack.push({ leave: current });

    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        stack.push({ value: current[i], path: join(path, String(i)), depth: depth + 1 });
      }
      continue;
    }
    const proto: unknown = Object.getPrototypeOf(current);
    if (proto !== Object.prototype && proto !== null) {
      return { kind: 'not_json', path, message: `${describe(path)} is not a plain object` };
    }
    // Enumerable own string keys: what JSON.parse produces and what copying code iterates.
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const childPath = join(path, key);
      if (isUnsafeKey(key)) {
        return { kind: 'unsafe_key', path: childPath, message: `key "${key}" is not allowed (at ${describe(childPath)})` };
      }
      const child = (current as Record<string, unknown>)[key];
      if (child === undefined && allowUndefined) continue;
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}

/** The quick walk recurses, so it gives up (and leaves the verdict to the iterative walk) deeper than this. */
const QUICK_DEPTH_LIMIT = DEFAULT_MAX_JSON_DEPTH;

/**
 * True when `value` is certainly safe plain JSON within `maxDepth`. False means "not certain":
 * a problem, or a cycle (which runs into the depth bound). Core-internal: the merge walk uses it
 * for the values it does not walk itself, and leaves a false to findJsonProblem.
 */
export function isPlainJson(value: unknown, depth: number, maxDepth: number, allowUndefined: boolean): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1, maxDepth, allowUndefined)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key of Object.keys(value)) {
    if (isUnsafeKey(key)) return false;
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined && allowUndefined) continue;
    if (!isPlainJson(child, depth + 1, maxDepth, allowUndefined)) return false;
  }
  return true;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(path: string): string {
  return path === '' ? 'the value' : `"${path}"`;
}
