import { z } from 'zod';
import {
  type JsonObject,
} from '../../core/index.js';

/**
 * The JSON documents of the Device Shadow service, as AWS IoT publishes them and as our emulator
 * produces them. Timestamps are epoch seconds. Parsers here are lenient about members they do
 * not need, so a newer service adding fields does not break a device.
 */

/** Largest shadow state (desired + reported, JSON text without whitespace, metadata excluded). */
export const SHADOW_STATE_LIMIT_BYTES = 8 * 1024;
/** Longest clientToken the service accepts, in bytes. */
export const CLIENT_TOKEN_LIMIT_BYTES = 64;
/** Deepest nesting the service accepts inside desired or reported. */
export const SHADOW_MAX_DEPTH = 6;

/** Per-leaf update times, mirroring the state's shape (arrays get one entry per element). */
export type ShadowMetadata = { readonly [key: string]: { readonly timestamp: number } | ShadowMetadata | readonly ShadowMetadataLeaf[] };
export type ShadowMetadataLeaf = { readonly timestamp: number } | ShadowMetadata;

export interface ShadowSections {
  readonly desired?: JsonObject;
  readonly reported?: JsonObject;
}

/** What a client publishes to `/update` (null sections remove them; null leaves delete keys). */
export interface ShadowUpdateRequest {
  readonly state: {
    readonly desired?: JsonObject | null;
    readonly reported?: JsonObject | null;
  };
  readonly clientToken?: string;
  readonly version?: number;
}

/** `/get/accepted` and the REST GetThingShadow payload. */
export interface ShadowGetAccepted {
  readonly state: ShadowSections & { readonly delta?: JsonObject };
  readonly metadata: { readonly desired?: ShadowMetadata; readonly reported?: ShadowMetadata };
  readonly version: number;
  readonly timestamp: number;
  readonly clientToken?: string;
}

/** `/update/accepted` and the REST UpdateThingShadow payload: the request's sections, stamped. */
export interface ShadowUpdateAccepted {
  readonly state: { readonly desired?: JsonObject | null; readonly reported?: JsonObject | null };
  readonly metadata: { readonly desired?: ShadowMetadata; readonly reported?: ShadowMetadata };
  readonly version: number;
  readonly timestamp: number;
  readonly clientToken?: string;
}

/** `/update/delta`: desired members that reported does not match. */
export interface ShadowDelta {
  readonly state: JsonObject;
  readonly metadata: ShadowMetadata;
  readonly version: number;
  readonly timestamp: number;
  readonly clientToken?: string;
}

/** One side of an `/update/documents` message. */
export interface ShadowDocumentSnapshot {
  readonly state: ShadowSections;
  readonly metadata: { readonly desired?: ShadowMetadata; readonly reported?: ShadowMetadata };
  readonly version: number;
}

/** `/update/documents`: the whole shadow before and after an accepted update. */
export interface ShadowDocuments {
  /** Absent when the update created the shadow. */
  readonly previous?: ShadowDocumentSnapshot;
  readonly current: ShadowDocumentSnapshot;
  readonly timestamp: number;
  readonly clientToken?: string;
}

/** `/delete/accepted` and the REST DeleteThingShadow payload. */
export interface ShadowDeleteAccepted {
  readonly version: number;
  readonly timestamp: number;
  readonly clientToken?: string;
}

/** Every `/rejected` payload. */
export interface ShadowRejected {
  readonly code: number;
  readonly message: string;
  readonly timestamp?: number;
  readonly clientToken?: string;
}

// ---- lenient parsers for what arrives from the service ----

const jsonObject = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);
const sections = z.object({ desired: jsonObject.nullish(), reported: jsonObject.nullish() });

const getAcceptedSchema = z.object({
  state: sections.extend({ delta: jsonObject.optional() }).default({}),
  version: z.number().int(),
  timestamp: z.number().optional(),
  clientToken: z.string().optional(),
});

const updateAcceptedSchema = z.object({
  version: z.number().int(),
  timestamp: z.number().optional(),
  clientToken: z.string().optional(),
});

const deltaSchema = z.object({
  state: jsonObject,
  version: z.number().int(),
  timestamp: z.number().optional(),
  clientToken: z.string().optional(),
});

const snapshotSchema = z.object({ state: sections.default({}), version: z.number().int() });
const documentsSchema = z.object({
  previous: snapshotSchema.nullish(),
  current: snapshotSchema,
  timestamp: z.number().optional(),
  clientToken: z.string().optional(),
});

const rejectedSchema = z.object({
  code: z.number().int(),
  message: z.string().default(''),
  clientToken: z.string().optional(),
});

/** The parts of a shadow message a client acts on. */
export interface ParsedGetAccepted {
  readonly desired?: JsonObject;
  readonly reported?: JsonObject;
  readonly delta?: JsonObject;
  readonly version: number;
  readonly timestamp?: number;
  readonly clientToken?: string;
}

function parseJson(payload: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
}

function strip<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}

export function parseGetAccepted(payload: Uint8Array | string): ParsedGetAccepted | undefined {
  const result = getAcceptedSchema.safeParse(parseJson(payload));
  if (!result.success) return undefined;
  const { state, ...rest } = result.data;
  return strip({ ...rest, desired: state.desired ?? undefined, reported: state.reported ?? undefined, delta: state.delta });
}

export function parseUpdateAccepted(
  payload: Uint8Array | string,
): { version: number; timestamp?: number; clientToken?: string } | undefined {
  const result = updateAcceptedSchema.safeParse(parseJson(payload));
  return result.success ? strip(result.data) : undefined;
}

export function parseDelta(
  payload: Uint8Array | string,
): { state: JsonObject; version: number; timestamp?: number; clientToken?: string } | undefined {
  const result = deltaSchema.safeParse(parseJson(payload));
  return result.success ? strip(result.data) : undefined;
}

export interface ParsedDocuments {
  readonly previous?: { readonly desired?: JsonObject; readonly reported?: JsonObject; readonly version: number };
  readonly current: { readonly desired?: JsonObject; readonly reported?: JsonObject; readonly version: number };
  readonly timestamp?: number;
  readonly clientToken?: string;
}

export function parseDocuments(payload: Uint8Array | string): ParsedDocuments | undefined {
  const result = documentsSchema.safeParse(parseJson(payload));
  if (!result.success) return undefined;
  const side = (s: z.output<typeof snapshotSchema>) =>
    strip({ desired: s.state.desired ?? undefined, reported: s.state.reported ?? undefined, version: s.version });
  const { previous, current, ...rest } = result.data;
  return strip({ ...rest, current: side(current), previous: previous ? side(previous) : undefined });
}

export function parseRejected(payload: Uint8Array | string): { code: number; message: string; clientToken?: string } | undefined {
  const result = rejectedSchema.safeParse(parseJson(payload));
  return result.success ? strip(result.data) : undefined;
}

/** Size the service would count for a shadow holding these sections. */
export function shadowStateBytes(state: ShadowSections): number {
  const counted: Record<string, JsonObject> = {};
  if (state.desired !== undefined) counted['desired'] = state.desired;
  if (state.reported !== undefined) counted['reported'] = state.reported;
  return new TextEncoder().encode(JSON.stringify(counted)).length;
}
