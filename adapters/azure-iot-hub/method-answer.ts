import {
  isJsonObject,
  type CommandResponse,
  type ErrorObject,
  type JsonValue,
} from '../../core/index.js';

/** The error code a direct-method status stands for (the inverse of COMMAND_ERROR_STATUS). */
const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_params',
  404: 'unknown_command',
  409: 'conflict',
  413: 'payload_too_large',
  500: 'handler_failed',
  503: 'unavailable',
  504: 'timeout',
};

/**
 * Reads a direct-method answer back into our CommandResponse. An Amora device's payload carries
 * the whole response (see method-response.ts); any other device (e.g. one built on the AmoraSDK
 * guide alone) is judged by its status and its `result: false`, its payload becoming the result or
 * the error details.
 */
export function commandResponseFromMethod(
  command: string,
  commandId: string,
  status: number,
  payload: JsonValue,
  now: number,
): CommandResponse {
  if (isJsonObject(payload) && typeof payload['success'] === 'boolean' && typeof payload['command_id'] === 'string') {
    // Keys beyond the response's own (a middleware's signature) go on to the controller's middleware.
    const { command_id: _id, command: _command, success: _success, result: _result, error: _error, timestamp: _timestamp, message: _message, data, ...rest } = payload;
    // The guide's copy of a result's members beside `result` (method-response.ts) is not extra either.
    const extra = isJsonObject(data) ? Object.fromEntries(Object.entries(rest).filter(([key]) => !(key in data))) : rest;
    const timestamp = typeof payload['timestamp'] === 'number' ? payload['timestamp'] : now;
    const answered = typeof payload['command'] === 'string' ? payload['command'] : command;
    if (payload['success']) {
      // `result` is the guide's boolean beside our `data`; devices before that carried the result in `result`.
      const result = typeof payload['result'] === 'boolean' ? payload['data'] : payload['result'];
      return {
        command_id: payload['command_id'],
        command: answered,
        success: true,
        ...(result === undefined || result === null ? {} : { result }),
        timestamp,
        ...extra,
      };
    }
    const error = payload['error'];
    return {
      command_id: payload['command_id'],
      command: answered,
      success: false,
      error: isErrorObject(error) ? error : { code: CODE_OF_STATUS[status] ?? 'handler_failed', message: `device answered status ${status}` },
      timestamp,
      ...extra,
    };
  }
  // A device on the AmoraSDK guide alone says {result: false, message} on failure.
  const refused = isJsonObject(payload) && payload['result'] === false;
  if (status >= 200 && status < 300 && !refused) {
    return { command_id: commandId, command, success: true, ...(payload === null ? {} : { result: payload }), timestamp: now };
  }
  const message = isJsonObject(payload) && typeof payload['message'] === 'string' ? payload['message'] : `device answered status ${status}`;
  return {
    command_id: commandId,
    command,
    success: false,
    error: { code: CODE_OF_STATUS[status] ?? 'handler_failed', message, details: { status, payload } },
    timestamp: now,
  };
}

function isErrorObject(value: JsonValue | undefined): value is JsonValue & ErrorObject {
  return isJsonObject(value) && typeof value['code'] === 'string' && typeof value['message'] === 'string';
}
