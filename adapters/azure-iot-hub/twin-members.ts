import type { JsonObject, JsonValue } from '../../core/index.js';

/**
 * A twin section (or patch) without `$version`, `$metadata` and the other `$` members the hub
 * owns: what the hub sends along, a client may echo back, and a device's own data never is.
 */
export function withoutDollarKeys(section: JsonObject): JsonObject {
  const result: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(section)) if (!key.startsWith('$')) result[key] = value;
  return result;
}
