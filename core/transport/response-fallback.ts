import type { CommandResponse } from '../commands/types.js';
import { isAmoraError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

/**
 * Encodes a command response with `encode`; when that refuses it (too large for the wire), the
 * answer becomes an error response with the refusal as its error, so the caller is told instead
 * of waiting for an answer that can never arrive. Errors other than ours propagate.
 */
export function encodeResponseOrError<T>(response: CommandResponse, encode: (response: CommandResponse) => T, logger: Logger): T {
  try {
    return encode(response);
  } catch (error) {
    if (!isAmoraError(error)) throw error;
    logger.warn({ commandId: response.command_id, err: error.toJSON() }, 'command response too large; answering with an error');
    return encode({
      command_id: response.command_id,
      command: response.command,
      success: false,
      error: error.toJSON(),
      timestamp: response.timestamp,
    });
  }
}
