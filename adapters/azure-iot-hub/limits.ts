import {
  type JsonValue,
} from '../../core/index.js';

/** IoT Hub limits the adapter enforces locally and the emulator enforces as the hub does. */
export const IOT_HUB_LIMITS = {
  /** Device-to-cloud message body. */
  messageBytes: 256 * 1024,
  /** Each of twin desired, reported. */
  twinSectionBytes: 32 * 1024,
  twinTagsBytes: 8 * 1024,
  /** Objects nested inside a twin section. */
  twinDepth: 10,
  /** Direct method request and response payloads. */
  methodPayloadBytes: 128 * 1024,
  /** Twin property names. */
  twinKeyBytes: 1024,
} as const;

/** UTF-8 size of a value's JSON text. */
export function jsonByteLength(value: JsonValue | undefined): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Why IoT Hub would refuse `section` as twin desired/reported content, or undefined when it would
 * not: too large, nested deeper than 10 objects, or a property name holding `.`, `$`, a space or a
 * control character (the hub reserves `$` names such as `$version` for itself).
 */
export function twinSectionProblem(section: JsonValue, maxBytes: number = IOT_HUB_LIMITS.twinSectionBytes): string | undefined {
  const size = jsonByteLength(section);
  if (size > maxBytes) return `twin section is ${size} bytes, over the ${maxBytes} byte limit`;
  const stack: { value: JsonValue; depth: number; path: string }[] = [{ value: section, depth: 0, path: '' }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      value.forEach((item: JsonValue, index: number) => stack.push({ value: item, depth, path: `${path}[${index}]` }));
      continue;
    }
    if (depth > IOT_HUB_LIMITS.twinDepth) return `twin property "${path}" is nested deeper than ${IOT_HUB_LIMITS.twinDepth} levels`;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const problem = twinKeyProblem(key);
      if (problem) return `twin property "${childPath}" ${problem}`;
      stack.push({ value: child, depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}

// Control characters are exactly what this pattern is for.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY_CHARACTERS = /[.$ \u0000-\u001f\u007f-\u009f]/;

function twinKeyProblem(key: string): string | undefined {
  if (key === '') return 'has an empty name';
  if (FORBIDDEN_KEY_CHARACTERS.test(key)) return 'has a name with ".", "$", a space or a control character, which IoT Hub refuses';
  if (Buffer.byteLength(key, 'utf8') > IOT_HUB_LIMITS.twinKeyBytes) return `has a name longer than ${IOT_HUB_LIMITS.twinKeyBytes} bytes`;
  return undefined;
}
