import { CommandError } from '../errors.js';
import type { JsonValue } from './json.js';

/**
 * Bounds of the desired document. Desired state is written by the far end and merged patch after
 * patch, so without a bound a controller (or a stranger with publish rights) grows it without end
 * (100 patches of 200 KB grew the heap by 20 MB).
 */
export interface DesiredLimits {
  /** Largest desired document, as UTF-8 JSON bytes. Default 64 KiB (AWS caps a whole shadow at 8 KB, Azure a twin section at 32 KB). */
  readonly maxBytes: number;
  /** Most object members in the whole document, nested ones included. Default 1 000. */
  readonly maxKeys: number;
}

export const DEFAULT_DESIRED_LIMITS: DesiredLimits = { maxBytes: 64 * 1024, maxKeys: 1_000 };

const utf8 = new TextEncoder();

/** @throws CommandError `payload_too_large` when `document` is over a limit, naming which. */
export function assertWithinDesiredLimits(document: JsonValue, limits: DesiredLimits): void {
  const keys = countKeys(document);
  if (keys > limits.maxKeys) {
    throw new CommandError('payload_too_large', `desired state would have ${keys} keys, more than the limit of ${limits.maxKeys}`, {
      details: { keys, maxKeys: limits.maxKeys },
    });
  }
  const text = JSON.stringify(document);
  // A UTF-8 byte is at most 3 per UTF-16 unit; encode only when it could matter.
  const bytes = text.length * 3 <= limits.maxBytes ? text.length : utf8.encode(text).byteLength;
  if (bytes > limits.maxBytes) {
    throw new CommandError('payload_too_large', `desired state would be ${bytes} bytes, more than the limit of ${limits.maxBytes}`, {
      details: { bytes, maxBytes: limits.maxBytes },
    });
  }
}

function countKeys(value: JsonValue): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countKeys(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  for (const member of Object.values(value)) count += 1 + countKeys(member);
  return count;
}
