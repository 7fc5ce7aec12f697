import type { JsonObject, JsonValue } from '../../core/index.js';
import { isValidThingName } from '../../adapters/aws-iot/shadow-topics.js';
import type { Cloud, SourceDevice } from './fleet.js';
import { fitSections, jsonBytes, objectDepth, sectionSizes, TARGET_LIMITS } from './limits.js';
import { twinSectionProblem } from '../../adapters/azure-iot-hub/limits.js';

/** Something the operator should know about one device's move, and what to do about it. */
export interface Finding {
  /** `blocked`: the device cannot be provisioned as it is; `dropped`: part of its data is not carried; `note`: carried differently. */
  readonly level: 'blocked' | 'dropped' | 'note';
  /** The section or key concerned (`desired.playlists`, `tags.site`), when there is one. */
  readonly subject?: string;
  readonly message: string;
  readonly fix: string;
}

/** What `apply` will create and write for one device on the target. */
export interface DevicePlan {
  readonly id: string;
  /** Desired state written to the target (shadow desired on AWS, twin desired on IoT Hub). */
  readonly desired: JsonObject;
  /** AWS thing attributes (target aws). */
  readonly attributes?: Readonly<Record<string, string>>;
  /** IoT Hub twin tags (target azure). */
  readonly tags?: JsonObject;
  /** Source data with no place on the target, kept in the device's output folder (`unmapped.json`). */
  readonly unmapped?: JsonObject;
  readonly findings: readonly Finding[];
}

/** AWS thing attributes: names and values of these characters (the CreateThing API's patterns). */
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]{0,800}$/;
/** A thing without a thing type takes this many attributes. */
const MAX_ATTRIBUTES = 3;

/** How one source device maps onto the target cloud. Pure: the same input always plans the same. */
export function planDevice(device: SourceDevice, to: Cloud): DevicePlan {
  return to === 'aws' ? toAws(device) : toAzure(device);
}

function toAws(device: SourceDevice): DevicePlan {
  const findings: Finding[] = [];
  if (!isValidThingName(device.id)) {
    findings.push({
      level: 'blocked',
      message: `"${device.id}" is not a valid thing name (1-128 letters, digits, ':', '_' or '-')`,
      fix: 'rename the device on IoT Hub, or provision it by hand under another name',
    });
  }
  const { kept: desired, dropped } = fitSections(device.desired, TARGET_LIMITS.shadowStateBytes);
  for (const { section, bytes } of dropped) {
    findings.push({
      level: 'dropped',
      subject: `desired.${section}`,
      message: `desired section "${section}" is ${bytes} bytes: the desired state would not fit the ${TARGET_LIMITS.shadowStateBytes}-byte shadow`,
      fix: 'keep it in a named shadow or an object store (S3) the device fetches; it is saved in unmapped.json',
    });
  }
  for (const { section } of sectionSizes(desired)) {
    const depth = objectDepth({ [section]: desired[section] ?? null });
    if (depth > TARGET_LIMITS.shadowDepth) {
      findings.push({
        level: 'note',
        subject: `desired.${section}`,
        message: `desired section "${section}" nests ${depth} objects deep; the shadow service accepts ${TARGET_LIMITS.shadowDepth}`,
        fix: 'flatten the section before the rollout (the update would be rejected)',
      });
    }
  }
  const { attributes, leftOver, problems } = tagsToAttributes(device.tags ?? {});
  findings.push(...problems);
  const unmapped = compact({ desired: pick(device.desired, dropped.map((d) => d.section)), tags: leftOver });
  return {
    id: device.id,
    desired,
    attributes,
    findings,
    ...(unmapped ? { unmapped } : {}),
  };
}

/** Flat twin tags become thing attributes (as strings); what does not fit stays unmapped. */
function tagsToAttributes(tags: JsonObject): { attributes: Record<string, string>; leftOver: JsonObject; problems: Finding[] } {
  const attributes: Record<string, string> = {};
  const leftOver: Record<string, JsonValue> = {};
  const problems: Finding[] = [];
  for (const [key, value] of Object.entries(tags)) {
    const text = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    let why: string | undefined;
    if (text === undefined) why = 'is not a string, number or boolean';
    else if (!ATTRIBUTE_NAME.test(key)) why = 'has a name a thing attribute cannot take';
    else if (!ATTRIBUTE_VALUE.test(text)) why = 'has a value a thing attribute cannot take';
    else if (Object.keys(attributes).length >= MAX_ATTRIBUTES) why = `is past the ${MAX_ATTRIBUTES} attributes a thing without a thing type takes`;
    if (why === undefined) {
      attributes[key] = text!;
    } else {
      leftOver[key] = value;
      problems.push({ level: 'dropped', subject: `tags.${key}`, message: `tag "${key}" ${why}`, fix: 'keep it in your own inventory, or give the things a thing type; it is saved in unmapped.json' });
    }
  }
  return { attributes, leftOver, problems };
}

function toAzure(device: SourceDevice): DevicePlan {
  const findings: Finding[] = [];
  const { kept, dropped } = fitSections(device.desired, TARGET_LIMITS.twinSectionBytes);
  for (const { section, bytes } of dropped) {
    findings.push({
      level: 'dropped',
      subject: `desired.${section}`,
      message: `desired section "${section}" is ${bytes} bytes: desired properties would not fit the ${TARGET_LIMITS.twinSectionBytes}-byte twin section`,
      fix: 'keep it in blob storage the device fetches; it is saved in unmapped.json',
    });
  }
  // Sections IoT Hub refuses for their names or depth are left out one by one, each named.
  const desired: Record<string, JsonValue> = {};
  const refused: string[] = [];
  for (const [section, value] of Object.entries(kept)) {
    const problem = twinSectionProblem({ [section]: value }, TARGET_LIMITS.twinSectionBytes);
    if (problem === undefined) {
      desired[section] = value;
    } else {
      refused.push(section);
      findings.push({ level: 'dropped', subject: `desired.${section}`, message: problem, fix: 'rename or reshape the property (IoT Hub refuses "." "$" and spaces in names, and more than 10 levels); it is saved in unmapped.json' });
    }
  }
  const tags: Record<string, JsonValue> = { ...device.attributes };
  let tagsLeft: JsonObject = {};
  if (jsonBytes(tags) > TARGET_LIMITS.twinTagsBytes) {
    const fitted = fitSections(tags, TARGET_LIMITS.twinTagsBytes);
    tagsLeft = pick(tags, fitted.dropped.map((d) => d.section));
    for (const key of Object.keys(tagsLeft)) delete tags[key];
    findings.push({ level: 'dropped', subject: 'tags', message: `thing attributes ${Object.keys(tagsLeft).join(', ')} do not fit the ${TARGET_LIMITS.twinTagsBytes}-byte tags`, fix: 'keep them in your own inventory; they are saved in unmapped.json' });
  }
  const unmapped = compact({ desired: pick(device.desired, [...dropped.map((d) => d.section), ...refused]), attributes: tagsLeft });
  return { id: device.id, desired, tags, findings, ...(unmapped ? { unmapped } : {}) };
}

function pick(document: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(keys.filter((key) => key in document).map((key) => [key, document[key] ?? null]));
}

/** The object without empty members, or undefined when nothing is left. */
function compact(document: Record<string, JsonObject>): JsonObject | undefined {
  const entries = Object.entries(document).filter(([, value]) => Object.keys(value).length > 0);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}
