import {
  commandErrorStatus,
  encodeResponseOrError,
  silentLogger,
  TransportError,
  type CommandResponse,
  type JsonObject,
  type Logger,
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
export function methodAnswer(response: CommandResponse, logger: Logger = silentLogger): MethodAnswer {
  return encodeResponseOrError(
    response,
    (candidate) => {
      const answer = build(candidate);
      const bytes = jsonByteLength(answer.payload);
      if (bytes > IOT_HUB_LIMITS.methodPayloadBytes) {
        throw new TransportError(
          'payload_too_large',
          `the response to ${candidate.command} is larger than the ${IOT_HUB_LIMITS.methodPayloadBytes} byte direct-method limit`,
          { details: { bytes, maxPayloadBytes: IOT_HUB_LIMITS.methodPayloadBytes } },
        );
      }
      return answer;
    },
    logger,
  );
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
