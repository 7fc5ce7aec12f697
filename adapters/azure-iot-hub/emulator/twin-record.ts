import { randomBytes } from 'node:crypto';
import {
  applyMergePatch,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '../../../core/index.js';
import { IOT_HUB_LIMITS, twinSectionProblem } from '../limits.js';
import { withoutDollarKeys } from '../twin-members.js';

/**
 * One device twin as the emulator keeps it: tags, desired and reported sections with their own
 * `$version`s, a twin `version` and an `etag` that changes with every change (what `If-Match`
 * compares against). Pure functions over immutable records, so the registry can persist them as is.
 */
export interface TwinRecord {
  readonly tags: JsonObject;
  readonly desired: JsonObject;
  readonly desiredVersion: number;
  /** Epoch ms of the last desired change. */
  readonly desiredUpdated: number;
  readonly reported: JsonObject;
  readonly reportedVersion: number;
  readonly reportedUpdated: number;
  readonly version: number;
  readonly etag: string;
}

/** A refusal the hub would answer with an HTTP-like status (400 invalid, 412 etag mismatch). */
export class TwinUpdateError extends Error {
  override readonly name = 'TwinUpdateError';
  constructor(
    readonly status: 400 | 412,
    message: string,
  ) {
    super(message);
  }
}

export function newTwin(now: number): TwinRecord {
  return {
    tags: {},
    desired: {},
    desiredVersion: 1,
    desiredUpdated: now,
    reported: {},
    reportedVersion: 1,
    reportedUpdated: now,
    version: 1,
    etag: newEtag(),
  };
}

/** Merges a desired patch (from the service), or replaces desired when `replace`. */
export function updateDesired(twin: TwinRecord, patch: JsonObject, now: number, replace = false): TwinRecord {
  const desired = mergeSection(twin.desired, patch, replace, IOT_HUB_LIMITS.twinSectionBytes, 'desired');
  return { ...twin, desired, desiredVersion: twin.desiredVersion + 1, desiredUpdated: now, version: twin.version + 1, etag: newEtag() };
}

export function updateTags(twin: TwinRecord, patch: JsonObject, replace = false): TwinRecord {
  const tags = mergeSection(twin.tags, patch, replace, IOT_HUB_LIMITS.twinTagsBytes, 'tags');
  return { ...twin, tags, version: twin.version + 1, etag: newEtag() };
}

/** Merges a reported patch (from the device). */
export function updateReported(twin: TwinRecord, patch: JsonObject, now: number): TwinRecord {
  const reported = mergeSection(twin.reported, patch, false, IOT_HUB_LIMITS.twinSectionBytes, 'reported');
  return { ...twin, reported, reportedVersion: twin.reportedVersion + 1, reportedUpdated: now, version: twin.version + 1, etag: newEtag() };
}

/** Throws TwinUpdateError(412) unless `ifMatch` is absent, `*`, or the twin's etag (quoted or not). */
export function checkEtag(twin: TwinRecord, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const tag = ifMatch.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (tag === '*' || tag === twin.etag) return;
  throw new TwinUpdateError(412, 'the twin was changed since it was read (etag mismatch)');
}

/** The twin as a device reads it with `$iothub/twin/GET`. */
export function deviceTwinDocument(twin: TwinRecord): JsonObject {
  return {
    desired: { ...twin.desired, $version: twin.desiredVersion },
    reported: { ...twin.reported, $version: twin.reportedVersion },
  };
}

/** The `properties` member of the twin as the service API returns it. */
export function serviceTwinProperties(twin: TwinRecord): JsonObject {
  return {
    desired: { ...twin.desired, $metadata: { $lastUpdated: iso(twin.desiredUpdated) }, $version: twin.desiredVersion },
    reported: { ...twin.reported, $metadata: { $lastUpdated: iso(twin.reportedUpdated) }, $version: twin.reportedVersion },
  };
}

function mergeSection(current: JsonObject, patch: JsonValue, replace: boolean, maxBytes: number, what: string): JsonObject {
  if (!isJsonObject(patch)) throw new TwinUpdateError(400, `${what} must be a JSON object`);
  const withoutReserved = withoutDollarKeys(patch);
  const problem = twinSectionProblem(withoutReserved, Number.MAX_SAFE_INTEGER);
  if (problem) throw new TwinUpdateError(400, problem);
  let next: JsonObject;
  try {
    next = replace ? applyMergePatch({}, withoutReserved) : applyMergePatch(current, withoutReserved);
  } catch (error) {
    throw new TwinUpdateError(400, error instanceof Error ? error.message : String(error));
  }
  const sizeProblem = twinSectionProblem(next, maxBytes);
  if (sizeProblem) throw new TwinUpdateError(400, `${what}: ${sizeProblem}`);
  return next;
}

function newEtag(): string {
  return randomBytes(8).toString('base64');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
