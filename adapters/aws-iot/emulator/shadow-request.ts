import {
  findJsonProblem,
  isJsonObject,
  type JsonObject,
  type JsonValue,
} from '../../../core/index.js';
import { CLIENT_TOKEN_LIMIT_BYTES, SHADOW_MAX_DEPTH, type ShadowRejected } from '../shadow-document.js';

/**
 * Validation of shadow update requests with the Device Shadow service's 400 answers. Anything
 * outside `state.desired` / `state.reported` is ignored, as the service does.
 */

/** A request that passed validation. */
export interface ValidUpdate {
  readonly desired?: JsonObject | null;
  readonly reported?: JsonObject | null;
  readonly clientToken?: string;
  readonly version?: number;
}

export type ShadowError = Omit<ShadowRejected, 'timestamp'>;

export type UpdateValidation =
  | { readonly ok: true; readonly update: ValidUpdate }
  | { readonly ok: false; readonly error: ShadowError };

const encoder = new TextEncoder();

/** Reads a clientToken from any payload, for answering even a request that is otherwise refused. */
export function readClientToken(value: unknown): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const token = value['clientToken'];
  return typeof token === 'string' && encoder.encode(token).length <= CLIENT_TOKEN_LIMIT_BYTES ? token : undefined;
}

/** Parses the bytes of a request; undefined for invalid JSON (and for an empty payload). */
export function parseRequestJson(payload: Uint8Array | string): JsonValue | undefined {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

function bad(message: string, clientToken: string | undefined): UpdateValidation {
  return { ok: false, error: clientToken === undefined ? { code: 400, message } : { code: 400, message, clientToken } };
}

/** Checks an update request the way the service does; see the table in the shadow reference. */
export function validateUpdate(value: JsonValue | undefined): UpdateValidation {
  if (!isJsonObject(value)) return bad('Invalid JSON', undefined);
  const clientToken = readClientToken(value);

  const rawToken = value['clientToken'];
  if (rawToken !== undefined && typeof rawToken !== 'string') return bad('Invalid clientToken', undefined);
  if (typeof rawToken === 'string' && clientToken === undefined) {
    return bad(`clientToken is longer than ${CLIENT_TOKEN_LIMIT_BYTES} bytes`, undefined);
  }

  const version = value['version'];
  if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)) {
    return bad('Invalid version', clientToken);
  }

  const state = value['state'];
  if (state === undefined || state === null) return bad('Missing required node: state', clientToken);
  if (!isJsonObject(state)) return bad('State node must be an object', clientToken);

  const update: { desired?: JsonObject | null; reported?: JsonObject | null } = {};
  for (const section of ['desired', 'reported'] as const) {
    const body = state[section];
    if (body === undefined) continue;
    if (body !== null && !isJsonObject(body)) return bad(`${capitalize(section)} node must be an object`, clientToken);
    if (body !== null) {
      const problem = sectionProblem(body);
      if (problem) return bad(problem, clientToken);
    }
    update[section] = body;
  }

  return {
    ok: true,
    update: {
      ...update,
      ...(clientToken === undefined ? {} : { clientToken }),
      ...(version === undefined ? {} : { version }),
    },
  };
}

/** Nesting deeper than the service allows, nulls inside arrays, or keys we never write. */
function sectionProblem(body: JsonObject): string | undefined {
  // The iterative guard runs first, so hostile nesting cannot overflow the recursive check below.
  const problem = findJsonProblem(body, { maxDepth: SHADOW_MAX_DEPTH });
  if (problem?.kind === 'too_deep') return `JSON contains too many levels of nesting; maximum is ${SHADOW_MAX_DEPTH}`;
  if (problem) return `Invalid state: ${problem.message}`;
  return hasNullInArray(body) ? 'Arrays may not contain null values' : undefined;
}

function hasNullInArray(value: JsonValue): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some((item: JsonValue) => item === null || hasNullInArray(item));
  return Object.values(value as JsonObject).some((child) => hasNullInArray(child));
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
