import { ConfigError } from '../errors.js';
import type { EnvRecord } from './interpolate.js';

/**
 * Environment overrides, applied after interpolation and before validation, so they win over the file:
 *
 * - Shortcuts (string values):
 *   `AMORA_DEVICE_ID` → `device.id`, `AMORA_DEVICE_NAME` → `device.name`,
 *   `AMORA_DEVICE_PROFILE` → `device.profile`, `AMORA_PLAYER_KIND` → `player.kind`,
 *   `AMORA_LOG_LEVEL` → `log.level`.
 * - Any key: `AMORA__` followed by the key path with `__` between segments, case-sensitive as in
 *   the file; a numeric segment indexes a list (and may append one entry at its end):
 *   `AMORA__device__name=Kitchen`, `AMORA__transports__0__url=mqtts://broker:8883`,
 *   `AMORA__telemetry__batchSize=50`. The value is read as JSON when it is a JSON number, boolean,
 *   null, object or array, and as a string otherwise (write `"123"` with quotes to force a string).
 *
 * Other `AMORA_*` variables (for example `AMORA_AZURE_CONNECTION_STRING` used through `${...}`) are
 * not overrides.
 */
export const ENV_SHORTCUTS: Readonly<Record<string, readonly string[]>> = {
  AMORA_DEVICE_ID: ['device', 'id'],
  AMORA_DEVICE_NAME: ['device', 'name'],
  AMORA_DEVICE_PROFILE: ['device', 'profile'],
  AMORA_PLAYER_KIND: ['player', 'kind'],
  AMORA_LOG_LEVEL: ['log', 'level'],
};

const PATH_PREFIX = 'AMORA__';

/** Returns a copy of `config` with every override found in `env` applied. */
export function applyEnvOverrides(config: unknown, env: EnvRecord): unknown {
  let result = config;
  for (const [name, path] of Object.entries(ENV_SHORTCUTS)) {
    const value = env[name];
    if (value !== undefined && value !== '') result = setPath(result, path, value, name);
  }
  // Sorted so that list entries are created in index order whatever the environment's order.
  const generic = Object.keys(env)
    .filter((name) => name.startsWith(PATH_PREFIX) && env[name] !== undefined)
    .toSorted();
  for (const name of generic) {
    const path = name
      .slice(PATH_PREFIX.length)
      .split('__')
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    if (path.some((segment) => segment === '')) {
      throw new ConfigError(`${name}: empty key segment in environment override (segments are separated by "__")`, {
        details: { variable: name },
      });
    }
    result = setPath(result, path, parseOverrideValue(env[name] as string), name);
  }
  return result;
}

function parseOverrideValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|\{.*\}|\[.*\]|".*")$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // Not valid JSON after all (e.g. a leading zero): keep the text.
    }
  }
  return text;
}

/** Immutable set of `value` at `path`, creating objects (or appending list entries) on the way. */
function setPath(target: unknown, path: readonly (string | number)[], value: unknown, variable: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (typeof head === 'number') {
    const list = Array.isArray(target) ? [...(target as unknown[])] : target === undefined ? [] : undefined;
    if (!list || head > list.length) {
      throw new ConfigError(
        `${variable}: cannot set list entry ${head} (${list ? `the list has ${list.length} entries` : 'the value there is not a list'})`,
        { details: { variable } },
      );
    }
    list[head] = setPath(list[head], rest, value, variable);
    return list;
  }
  const object = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  object[head] = setPath(object[head], rest, value, variable);
  return object;
}
