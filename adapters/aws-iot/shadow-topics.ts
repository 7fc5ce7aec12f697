/**
 * The reserved MQTT topics of the AWS IoT Device Shadow service, for the device transport, the
 * controller and the local emulator alike:
 * `$aws/things/{thing}/shadow[/name/{shadow}]/{get|update|delete}[/accepted|/rejected|/delta|/documents]`.
 */

export type ShadowOperation = 'get' | 'update' | 'delete';
export type ShadowResult = 'accepted' | 'rejected' | 'delta' | 'documents';

/** Every topic suffix the service uses; `delta` and `documents` exist for `update` only. */
export type ShadowTopicSuffix =
  | ShadowOperation
  | `${ShadowOperation}/${'accepted' | 'rejected'}`
  | 'update/delta'
  | 'update/documents';

/** A shadow topic taken apart. */
export interface ParsedShadowTopic {
  readonly thingName: string;
  /** Absent for the classic (unnamed) shadow. */
  readonly shadowName?: string;
  readonly operation: ShadowOperation;
  /** Absent on request topics (what clients publish to). */
  readonly result?: ShadowResult;
}

/** AWS IoT thing names: 1-128 of letters, digits, `:`, `_`, `-`. */
const THING_NAME = /^[A-Za-z0-9:_-]{1,128}$/;
/** Named shadow names: 1-64 of letters, digits, `:`, `_`, `-` (AWS also allows `$` only for reserved names). */
const SHADOW_NAME = /^[A-Za-z0-9:_-]{1,64}$/;

export function isValidThingName(name: string): boolean {
  return THING_NAME.test(name);
}

export function isValidShadowName(name: string): boolean {
  return SHADOW_NAME.test(name);
}

/** `$aws/things/{thing}/shadow` or `$aws/things/{thing}/shadow/name/{shadow}`. */
export function shadowTopicPrefix(thingName: string, shadowName?: string): string {
  if (!isValidThingName(thingName)) throw new RangeError(`invalid thing name "${thingName}"`);
  if (shadowName === undefined) return `$aws/things/${thingName}/shadow`;
  if (!isValidShadowName(shadowName)) throw new RangeError(`invalid shadow name "${shadowName}"`);
  return `$aws/things/${thingName}/shadow/name/${shadowName}`;
}

export function shadowTopic(thingName: string, shadowName: string | undefined, suffix: ShadowTopicSuffix): string {
  return `${shadowTopicPrefix(thingName, shadowName)}/${suffix}`;
}

const OPERATIONS: ReadonlySet<string> = new Set<ShadowOperation>(['get', 'update', 'delete']);

/** Takes a shadow topic apart; undefined for any other topic (or an impossible suffix). */
export function parseShadowTopic(topic: string): ParsedShadowTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== '$aws' || levels[1] !== 'things' || levels[3] !== 'shadow') return undefined;
  const thingName = levels[2] ?? '';
  if (!isValidThingName(thingName)) return undefined;
  let rest = levels.slice(4);
  let shadowName: string | undefined;
  if (rest[0] === 'name') {
    shadowName = rest[1] ?? '';
    if (!isValidShadowName(shadowName)) return undefined;
    rest = rest.slice(2);
  }
  const [operation, result, ...extra] = rest;
  if (operation === undefined || !OPERATIONS.has(operation) || extra.length > 0) return undefined;
  const op = operation as ShadowOperation;
  const base = shadowName === undefined ? { thingName, operation: op } : { thingName, shadowName, operation: op };
  if (result === undefined) return base;
  if (result === 'accepted' || result === 'rejected') return { ...base, result };
  if ((result === 'delta' || result === 'documents') && op === 'update') return { ...base, result };
  return undefined;
}
