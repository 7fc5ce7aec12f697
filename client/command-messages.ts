import { isAmoraError, isJsonObject, type CommandResponse, type JsonObject } from '../core/index.js';

/**
 * The guide's `CommandResponse`: what every command of AmoraClient resolves with. A failure usually
 * carries a `code` (beyond the guide): the device's error code (`unauthorized` for a command its
 * middleware refused, or for an answer the client's middleware refused), or the transport's
 * (`timeout`, `unavailable`, ...).
 */
export interface CommandResult {
  readonly success: boolean;
  readonly message: string;
  readonly code?: string;
}

/** The messages the AmoraSDK guide's device answers with, for devices that send none of their own. */
const SUCCESS_MESSAGES: Readonly<Record<string, (params: JsonObject) => string>> = {
  play: () => 'Playback started',
  pause: () => 'Playback paused',
  stop: () => 'Playback stopped',
  next: () => 'Skipped to next track',
  previous: () => 'Skipped to previous track',
  setVolume: (params) => `Volume set to ${String(params['volume'])}`,
};

/**
 * A device's answer as `{success, message}`: the device's own message when it sends one (the
 * guide's `{result, message}` answer, or a result object with a `message`), else the guide's
 * wording; a refusal carries the device's error message.
 */
export function commandResult(command: string, params: JsonObject, response: CommandResponse): CommandResult {
  if (!response.success) return { success: false, code: response.error.code, message: response.error.message };
  const result = response.result;
  if (isJsonObject(result) && typeof result['message'] === 'string') return { success: true, message: result['message'] };
  return { success: true, message: SUCCESS_MESSAGES[command]?.(params) ?? `${command} done` };
}

/** What a command resolves with when it could not be carried out at all, worded as the guide's client does. */
export function invokeFailure(command: string, error: unknown): CommandResult {
  const reason = error instanceof Error ? error.message : String(error);
  const code = isAmoraError(error) ? { code: error.code } : {};
  return { success: false, ...code, message: `Failed to invoke method ${command}: ${reason}` };
}
