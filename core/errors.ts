/**
 * One error family for the whole framework. Every error carries a literal `code`, an explicit
 * `name`, an ES2022 `cause`, and serialises to the `{code, message, details?}` object that command
 * responses carry. Subclasses set their prototype correctly because they are real ES classes
 * (target ES2022), so `instanceof` works across the hierarchy.
 */
export type AmoraErrorCode =
  | 'invalid_params'
  | 'unknown_command'
  | 'not_found'
  | 'timeout'
  | 'expired'
  | 'busy'
  | 'conflict'
  | 'unavailable'
  | 'payload_too_large'
  | 'handler_failed'
  | 'unsupported'
  | 'config_invalid'
  | 'plugin_load_failed'
  | 'authentication_failed'
  | 'transport_failed'
  | 'closed';

export interface ErrorObject {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

export interface AmoraErrorOptions {
  readonly cause?: unknown;
  readonly details?: unknown;
}

export class AmoraError extends Error {
  override readonly name: string = 'AmoraError';
  readonly details?: unknown;

  constructor(
    readonly code: AmoraErrorCode,
    message: string,
    options: AmoraErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.details !== undefined) this.details = options.details;
  }

  /** The wire form used in command responses and JSON output. */
  toJSON(): ErrorObject {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True for any error of the family, including copies from another instance of the package. */
export function isAmoraError(value: unknown): value is AmoraError {
  return (
    value instanceof AmoraError ||
    (value instanceof Error && typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { toJSON?: unknown }).toJSON === 'function')
  );
}

/** A command failed in a way the caller should see as a coded error response. */
export class CommandError extends AmoraError {
  override readonly name: string = 'CommandError';
}

/** An operation did not finish before its deadline. */
export class TimeoutError extends AmoraError {
  override readonly name: string = 'TimeoutError';
  constructor(message: string, options: AmoraErrorOptions = {}) {
    super('timeout', message, options);
  }
}

/** The configuration is invalid; `details.path` names the bad key. */
export class ConfigError extends AmoraError {
  override readonly name: string = 'ConfigError';
  constructor(message: string, options: AmoraErrorOptions = {}) {
    super('config_invalid', message, options);
  }
}

/** A plugin (or one of its kinds) could not be loaded or instantiated. */
export class PluginLoadError extends AmoraError {
  override readonly name: string = 'PluginLoadError';
  constructor(
    readonly plugin: string,
    readonly kind: string | undefined,
    message: string,
    options: AmoraErrorOptions = {},
  ) {
    super('plugin_load_failed', `plugin "${plugin}"${kind ? ` kind "${kind}"` : ''}: ${message}`, options);
  }
}

/** Credentials were refused; retrying with the same credentials cannot help. */
export class AuthenticationError extends AmoraError {
  override readonly name: string = 'AuthenticationError';
  constructor(message: string, options: AmoraErrorOptions = {}) {
    super('authentication_failed', message, options);
  }
}

/** A transport could not carry a message (connection lost, broker refused, payload too large). */
export class TransportError extends AmoraError {
  override readonly name: string = 'TransportError';
}

/** Turns anything thrown into an ErrorObject for a response or a log line. */
export function toErrorObject(error: unknown, fallbackCode: AmoraErrorCode = 'handler_failed'): ErrorObject {
  if (isAmoraError(error)) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: fallbackCode, message };
}
