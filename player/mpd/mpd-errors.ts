import {
  AmoraError,
  AuthenticationError,
  CommandError,
  isAmoraError,
} from '../../core/index.js';

/**
 * Turning MPD's refusals into the framework's coded errors. A refusal arrives as the line
 * `ACK [errno@index] {command} message`.
 */
interface MpdAck {
  readonly errno: number;
  readonly message: string;
  readonly current_command?: string;
}

/** One `ACK [errno@index] {command} message` answer, parsed. */
export class MpdAckError extends Error implements MpdAck {
  override readonly name = 'MpdAckError';
  /** MPD's error number (see MPD_ACK); 0 when the line does not parse. */
  readonly errno: number;
  /** The command MPD refused, as MPD names it. */
  readonly current_command?: string;

  constructor(readonly line: string) {
    const parsed = /^ACK \[(\d+)@\d+\] \{([^}]*)\} ?(.*)$/.exec(line);
    super(parsed?.[3] ?? line);
    this.errno = Number(parsed?.[1] ?? 0);
    if (parsed?.[2]) this.current_command = parsed[2];
  }
}

/** MPD's ACK error numbers (src/protocol/Ack.hxx). */
export const MPD_ACK = {
  ARG: 2,
  PASSWORD: 3,
  PERMISSION: 4,
  UNKNOWN: 5,
  NO_EXIST: 50,
  PLAYLIST_MAX: 51,
  SYSTEM: 52,
  PLAYLIST_LOAD: 53,
  UPDATE_ALREADY: 54,
  PLAYER_SYNC: 55,
  EXIST: 56,
} as const;

export function isMpdAck(error: unknown): error is MpdAckError {
  return error instanceof MpdAckError && error.errno > 0;
}

/** A command MPD refused, or that failed on the way, as a CommandError with a meaningful code. */
export function toCommandError(error: unknown, command: string): AmoraError {
  if (isAmoraError(error)) return error;
  if (!isMpdAck(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new CommandError('handler_failed', `MPD command "${command}" failed: ${message}`, { cause: error });
  }
  const refused = `MPD refused "${error.current_command || command}": ${error.message}`;
  const details = { mpdError: error.errno, mpdCommand: error.current_command || command };
  const make = (code: 'not_found' | 'invalid_params' | 'conflict' | 'unavailable' | 'handler_failed', message = refused) =>
    new CommandError(code, message, { cause: error, details });
  switch (error.errno) {
    case MPD_ACK.NO_EXIST:
      return make('not_found');
    case MPD_ACK.ARG:
      return make('invalid_params');
    case MPD_ACK.PLAYER_SYNC:
      // "Not playing": next, previous and seek need a current song.
      return make('conflict');
    case MPD_ACK.UNKNOWN:
      if (/no mixer/i.test(error.message)) {
        return make('unavailable', 'volume control is unavailable: the MPD output has no mixer (set mixer_type, e.g. "software")');
      }
      return make('handler_failed');
    default:
      return make('handler_failed');
  }
}

/**
 * Why a connection attempt failed, as an error the retry policy understands: refused credentials
 * become an AuthenticationError (never retried); a missing password shows as a permission refusal.
 */
export function toConnectError(error: unknown): Error {
  if (isMpdAck(error) && (error.errno === MPD_ACK.PASSWORD || error.errno === MPD_ACK.PERMISSION)) {
    const message =
      error.errno === MPD_ACK.PASSWORD ? 'MPD refused the password' : `MPD requires a password: ${error.message}`;
    return new AuthenticationError(message, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
