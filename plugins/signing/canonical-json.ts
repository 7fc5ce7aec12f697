import type { JsonValue } from '../../core/index.js';

/**
 * JSON with object keys sorted at every level, so both ends sign and verify the same bytes
 * whatever order a transport or a JSON library put the keys in (the idea of RFC 8785).
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: JsonValue) => canonicalJson(item)).join(',')}]`;
  const entries = Object.keys(value)
    .toSorted()
    .filter((key) => (value as Record<string, JsonValue | undefined>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, JsonValue>)[key]!)}`);
  return `{${entries.join(',')}}`;
}
