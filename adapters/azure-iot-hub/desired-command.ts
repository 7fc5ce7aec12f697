import { createHash } from 'node:crypto';
import { isJsonObject, type InboundCommand, type JsonObject, type JsonValue } from '../../core/index.js';
import { deepEqual } from '../../core/internal.js';

/**
 * The AmoraSDK guide's other command path: a desired property `command: {action, parameters}`
 * set by the backend. It becomes an InboundCommand; the answer goes to the reported property
 * `command_response` together with the command it answers, so a device that reconnects (and
 * fetches the whole twin, command included) does not run the same command twice.
 */

/** The desired property that carries a command. */
export const DESIRED_COMMAND_KEY = 'command';
/** The reported property the transport owns: the answer to the last desired command. */
export const COMMAND_RESPONSE_KEY = 'command_response';

/** What `respond()` gets back in `InboundCommand.context` for a desired command. */
export interface DesiredCommandContext {
  readonly kind: 'desired';
  /** The desired `command` value as received. */
  readonly desired: JsonValue;
}

/** Splits a desired patch into state and the command it carries, if any. */
export function splitDesiredCommand(patch: JsonObject): { readonly state: JsonObject; readonly command?: JsonValue } {
  if (!Object.hasOwn(patch, DESIRED_COMMAND_KEY)) return { state: patch };
  const { [DESIRED_COMMAND_KEY]: command, ...state } = patch;
  return command === null || command === undefined ? { state } : { state, command };
}

/**
 * The InboundCommand for a desired `command` value; `version` is the desired `$version` it came
 * with (a fresh id for every notification), undefined for one read from the whole twin (then the
 * id is derived from the content, so re-reading the same twin yields the same id).
 */
export function desiredCommandInbound(value: JsonValue, version: number | undefined): InboundCommand {
  const context: DesiredCommandContext = { kind: 'desired', desired: value };
  const body = isJsonObject(value) ? value : {};
  const explicitId = [body['command_id'], body['id']].find((id) => typeof id === 'string' && id !== '') as string | undefined;
  const requestId =
    explicitId ??
    (version === undefined
      ? `desired-${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)}`
      : `desired-v${version}`);
  const action = body['action'] ?? body['command'];
  const parameters = body['parameters'] ?? body['params'] ?? {};
  return {
    // A non-string action is passed on as is, so the dispatcher refuses it with a coded answer.
    command: typeof action === 'string' ? action : '',
    payload: { command_id: requestId, params: parameters },
    requestId,
    context,
  };
}

/** True when the twin's reported `command_response` already answers this desired command. */
export function alreadyAnswered(reported: JsonObject, command: JsonValue): boolean {
  const response = reported[COMMAND_RESPONSE_KEY];
  return isJsonObject(response) && deepEqual(response['desired'], command);
}

export function isDesiredCommandContext(context: unknown): context is DesiredCommandContext {
  return isJsonObject(context as JsonValue) && (context as { kind?: unknown }).kind === 'desired';
}
