import {
  isJsonObject,
  encodeResponseOrError,
  silentLogger,
  TransportError,
  type CommandResponse,
  type JsonObject,
  type Logger,
} from '../../core/index.js';
import { commandErrorStatus } from '../../core/internal.js';
import { IOT_HUB_LIMITS, jsonByteLength } from './limits.js';

/** A direct-method answer: the HTTP-like status and the JSON payload the service caller receives. */
export interface MethodAnswer {
  readonly status: number;
  readonly payload: JsonObject;
}

/**
 * Maps our command response onto a direct-method response: 200 on success, otherwise the status
 * of the error code (400 invalid_params, 404 unknown_command, 409 busy/conflict, 500, 503, 504).
 * The payload is the AmoraSDK guide's `{result: true|false, message}` (a result object's members
 * beside them, as in `{result: true, playlists}`) plus our full response (command_id, success,
 * the result as `data`, the error object), so both kinds of callers find what they look for. An answer over the
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

/** The AmoraSDK device's messages for the guide's methods; other commands say "<command> done". */
const GUIDE_MESSAGES: Readonly<Record<string, string>> = {
  play: 'Playback started',
  pause: 'Playback paused',
  stop: 'Playback stopped',
  next: 'Skipped to next track',
  previous: 'Skipped to previous track',
  setVolume: 'Volume set',
};

/** Our envelope's keys; a result's members by these names stay only in `data`. */
const ENVELOPE_KEYS = new Set(['result', 'message', 'data', 'command_id', 'command', 'success', 'error', 'timestamp']);

function build(response: CommandResponse): MethodAnswer {
  if (response.success) {
    // Keys beyond the response's own (a middleware's signature) travel with it.
    const { command_id: _id, command: _command, success: _success, result, timestamp: _timestamp, ...extra } = response as CommandResponse & JsonObject;
    // The guide's getPlaylists answer is {result: true, playlists}: an object result's members sit beside `result`.
    const members = isJsonObject(result) ? Object.fromEntries(Object.entries(result).filter(([key]) => !ENVELOPE_KEYS.has(key))) : {};
    return {
      status: 200,
      payload: {
        ...members,
        result: true,
        message: GUIDE_MESSAGES[response.command] ?? `${response.command} done`,
        command_id: response.command_id,
        command: response.command,
        success: true,
        ...(result === undefined ? {} : { data: result }),
        timestamp: response.timestamp,
        ...extra,
      } as JsonObject,
    };
  }
  // ErrorObject.details is typed unknown but is JSON by construction (error objects are built for the wire).
  return {
    status: commandErrorStatus(response.error.code),
    payload: { ...response, result: false, message: response.error.message } as unknown as JsonObject,
  };
}
