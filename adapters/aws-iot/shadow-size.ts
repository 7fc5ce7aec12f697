import {
  TransportError,
  type JsonObject,
} from '../../core/index.js';
import { shadowStateBytes } from './shadow-document.js';

const encoder = new TextEncoder();

/**
 * Refuses, before anything is sent, a reported state that would take the shadow (desired +
 * reported) over its size limit, naming the largest sections so the fix is obvious: make them
 * smaller, or move them out of the shadow with `shadow.offloadSections`.
 * @throws TransportError `payload_too_large` with `details: {bytes, limit, largest}`.
 */
export function checkShadowSize(state: { desired: JsonObject; reported: JsonObject }, limit: number, offloaded: readonly string[]): void {
  const bytes = shadowStateBytes(state);
  if (bytes <= limit) return;
  const largest = Object.entries(state.reported)
    .map(([section, value]) => ({ section, bytes: encoder.encode(JSON.stringify(value)).byteLength }))
    .toSorted((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
  const names = largest.map((entry) => `${entry.section} (${entry.bytes} bytes)`).join(', ');
  const advice = offloaded.length > 0 ? `; already offloaded: ${offloaded.join(', ')}` : '';
  throw new TransportError(
    'payload_too_large',
    `reported state would make the device shadow ${bytes} bytes (desired + reported), over the ${limit}-byte limit of AWS IoT; ` +
      `largest sections: ${names}. Shrink them or list them in shadow.offloadSections to send them as telemetry${advice}`,
    { details: { bytes, limit, largest } },
  );
}
