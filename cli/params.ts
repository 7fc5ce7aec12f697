import { findJsonProblem, isUnsafeKey } from '../core/basics.js';
import type { JsonObject, JsonValue } from '../core/index.js';
import { CliError } from './exit-codes.js';

/**
 * Turns `key=value` arguments into command params. Values that parse as JSON keep their type
 * (`volume=40` is a number, `shuffle=true` a boolean, `tags=["a"]` an array); anything else is a
 * string, so `playlist=Morning Jazz` needs no quoting beyond the shell's, and `id=007` stays "007".
 * Refuses what a device would refuse anyway (prototype keys, non-finite numbers), and a key given
 * twice, since silently keeping one of them would hide a typo.
 */
export function parseParams(pairs: readonly string[]): JsonObject {
  const params: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    if (isUnsafeKey(key)) throw new CliError(`"${key}" is not allowed as a parameter name`);
    if (Object.hasOwn(params, key)) throw new CliError(`parameter "${key}" is given twice`);
    const value = parseValue(pair.slice(eq + 1));
    const problem = findJsonProblem(value);
    if (problem) throw new CliError(`parameter ${[key, problem.path].filter(Boolean).join('.')}: ${problem.message}`);
    params[key] = value;
  }
  return params;
}

function parseValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}
