import {
  commandErrorStatus,
  type CommandResponse,
  type JsonObject,
} from '../../core/index.js';
import { IOT_HUB_LIMITS, jsonByteLength } from './limits.js';

/** A direct-method answer: the HTTP-like status and the JSON payload the service caller receives. */
export interface MethodAnswer {
  readonly status: number;
  readonly payload: JsonObject;
}

/**
 * Maps our command response onto a direct-method response: 200 on success, otherwise the status
 * of the error code (400 invalid_params, 404 unknown_command, 409 busy/conflict, 500, 503, 504).
 * The payload is the AmoraSDK guide's `{result, message}` plus our full response (command_id,
 * success, error object), so both kinds of callers find what they look for. An answer over the
 * hub's 128 KB limit is replaced by a `payload_too_large` error, so the caller still hears back.
 */
export function methodAnswer(response: CommandResponse): MethodAnswer {
  const answer = build(response);
  if (jsonByteLength(answer.payload) <= IOT_HUB_LIMITS.methodPayloadBytes) return answer;
  return build({
    command_id: response.command_id,
    command: response.command,
    success: false,
    error: {
      code: 'payload_too_large',
      message: `the response to ${response.command} is larger than the ${IOT_HUB_LIMITS.methodPayloadBytes} byte direct-method limit`,
      details: { maxPayloadBytes: IOT_HUB_LIMITS.methodPayloadBytes },
    },
    timestamp: response.timestamp,
  });
}

function build(response: CommandResponse): MethodAnswer {
  // ErrorObject.details is typed unknown but is JSON by construction (error objects are built for the wire).
  if (response.success) {
    return {
      status: 200,
      payload: { ...response, result: response.result ?? null, message: `${response.command} done` },
    };
  }
  return {
    status: commandErrorStatus(response.error.code),
    payload: { ...response, result: null, message: response.error.message } as unknown as JsonObject,
  };
}
