import type { JsonObject, JsonValue } from '../../core/index.js';
import { SHADOW_MAX_DEPTH, SHADOW_STATE_LIMIT_BYTES } from '../../adapters/aws-iot/shadow-document.js';
import { IOT_HUB_LIMITS, jsonByteLength as jsonBytes } from '../../adapters/azure-iot-hub/limits.js';

/**
 * The target cloud's limits on what a migration writes, checked before anything is written:
 * a device shadow's state (desired + reported) is 8 KiB on AWS, each twin section 32 KiB and the
 * tags 8 KiB on IoT Hub. The numbers come from the adapters, which enforce the same limits at run time.
 */

export const TARGET_LIMITS = {
  shadowStateBytes: SHADOW_STATE_LIMIT_BYTES,
  shadowDepth: SHADOW_MAX_DEPTH,
  twinSectionBytes: IOT_HUB_LIMITS.twinSectionBytes,
  twinTagsBytes: IOT_HUB_LIMITS.twinTagsBytes,
} as const;

export { jsonBytes };

/** Top-level sections of `document` with their sizes, largest first. */
export function sectionSizes(document: JsonObject): { readonly section: string; readonly bytes: number }[] {
  return Object.entries(document)
    .map(([section, value]) => ({ section, bytes: jsonBytes({ [section]: value }) }))
    .toSorted((a, b) => b.bytes - a.bytes);
}

/**
 * Splits `document` into what fits `maxBytes` and the top-level sections left out, taking the
 * largest sections out first, so the fewest sections are named for the operator to deal with.
 */
export function fitSections(document: JsonObject, maxBytes: number): { readonly kept: JsonObject; readonly dropped: readonly { section: string; bytes: number }[] } {
  const kept: Record<string, JsonValue> = { ...document };
  const dropped: { section: string; bytes: number }[] = [];
  for (const { section, bytes } of sectionSizes(document)) {
    if (jsonBytes(kept) <= maxBytes) break;
    delete kept[section];
    dropped.push({ section, bytes });
  }
  return { kept, dropped };
}

/** Nesting depth of objects in a value (a flat object is 1). */
export function objectDepth(value: JsonValue): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  const deepest = children.reduce<number>((max, child) => Math.max(max, objectDepth(child)), 0);
  return Array.isArray(value) ? deepest : deepest + 1;
}
