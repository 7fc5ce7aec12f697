import { ConfigError } from '../errors.js';
import { formatKeyPath } from './zod-issues.js';

/** Environment variables as a plain record (process.env in Node, anything in a browser). */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

// `$${...}` is an escaped literal; `${NAME}` or `${NAME:-default}` (default used when unset or empty).
const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed config (keys are left alone).
 * An unset variable without a default is a ConfigError naming the key path and the variable, never
 * its value. Values stay strings; numeric options accept numeric strings.
 */
export function interpolateEnv(value: unknown, env: EnvRecord, path: readonly PropertyKey[] = []): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path);
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, [...path, key])]));
  }
  return value;
}

function interpolateString(text: string, env: EnvRecord, path: readonly PropertyKey[]): string {
  return text.replace(REFERENCE, (match, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return match.slice(1);
    const value = env[name];
    if (value !== undefined && (value !== '' || fallback === undefined)) return value;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(
      `${formatKeyPath(path)}: environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
      { details: { path: formatKeyPath(path), variable: name } },
    );
  });
}
