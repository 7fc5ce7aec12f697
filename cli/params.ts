import type { JsonObject, JsonValue } from '../core/state/json.js';
import { CliError } from './exit-codes.js';

/**
 * Turns `key=value` arguments into command params. Values that parse as JSON keep their type
 * (`volume=40` is a number, `shuffle=true` a boolean, `tags=["a"]` an array); anything else is a
 * string, so `playlist=Morning Jazz` needs no quoting beyond the shell's.
 */
export function parseParams(pairs: readonly string[]): JsonObject {
  const params: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new CliError(`"${key}" is not allowed as a parameter name`);
    }
    params[key] = parseValue(pair.slice(eq + 1));
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
