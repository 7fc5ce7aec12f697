import { CommanderError } from 'commander';
// basics.ts, not index.ts: every command ends here, `amora --version` included.
import { isAmoraError, redactString, type AmoraErrorCode } from '../core/basics.js';
import { CliError, EXIT } from './exit-codes.js';

/** How the CLI ends after an error: the exit status and the line to print (none if already printed). */
export interface Failure {
  readonly exitCode: number;
  readonly message?: string;
}

/** Error codes of the AmoraError family that map to a specific exit status; anything else is 1. */
const EXIT_BY_CODE: Partial<Record<AmoraErrorCode, number>> = {
  config_invalid: EXIT.usage,
  plugin_load_failed: EXIT.usage,
  timeout: EXIT.timeout,
  unavailable: EXIT.unreachable,
  authentication_failed: EXIT.unreachable,
  transport_failed: EXIT.unreachable,
};

/**
 * Maps whatever a command threw to an exit status and one line for stderr. Commander has already
 * printed its own usage errors (and help, and the version), so those carry no message.
 */
export function failureOf(error: unknown): Failure {
  if (error instanceof CommanderError) {
    return { exitCode: error.exitCode === 0 ? EXIT.ok : EXIT.usage };
  }
  const message = `amora: ${describeError(error)}`;
  if (error instanceof CliError) return { exitCode: error.exitCode, message };
  if (isAmoraError(error)) return { exitCode: EXIT_BY_CODE[error.code] ?? EXIT.commandFailed, message };
  return { exitCode: EXIT.commandFailed, message };
}

/**
 * The message of an error, with credentials masked in case a library quoted a URL or connection
 * string. Our own errors say everything in their message; a foreign error gets its cause's message
 * appended when that adds something.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return redactString(String(error));
  const cause = error.cause instanceof Error && !isAmoraError(error) ? error.cause.message : undefined;
  const text = cause && !error.message.includes(cause) ? `${error.message}: ${cause}` : error.message;
  return redactString(text);
}
