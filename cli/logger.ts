import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import {
  LOG_LEVELS,
  redactSecrets,
  redactString,
  type LogFn,
  type Logger,
} from '../core/index.js';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * A pino logger on stderr (stdout stays free for command output). Every line passes through the
 * config redaction first (secret-looking keys, URL credentials, SAS keys), so a secret that reaches
 * a log call by any path (a config dump, an error quoting a URL) never reaches the terminal.
 */
export function createCliLogger(
  level: string = process.env.AMORA_LOG_LEVEL ?? 'info',
  destination: DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  const valid = (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info';
  // No pino `err` serializer: errors are made plain (and redacted) before pino sees them.
  return wrap(pino({ level: valid, base: undefined, serializers: { err: (value: unknown) => value } }, destination));
}

/**
 * Core's Logger as methods that work detached: adapters call `(ok ? log.warn : log.debug)(...)`,
 * which pino's own methods do not survive (they read `this`).
 */
function wrap(target: PinoLogger): Logger {
  const method = (level: Level): LogFn =>
    ((fields: Record<string, unknown> | string, message?: string) => {
      if (!target.isLevelEnabled(level)) return;
      if (typeof fields === 'string') target[level](redactString(fields));
      else target[level](sanitize(fields, target.isLevelEnabled('debug')), message === undefined ? undefined : redactString(message));
    }) as LogFn;
  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (bindings) => wrap(target.child(sanitize(bindings, false))),
  };
}

/**
 * Redacts logged fields. Errors become plain objects first (their message is not enumerable, so
 * redaction would drop it); stacks only when debugging.
 */
function sanitize(fields: Record<string, unknown>, withStack: boolean): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) plain[key] = value instanceof Error ? errorFields(value, withStack) : value;
  return redactSecrets(plain);
}

function errorFields(error: Error, withStack: boolean): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(withStack && error.stack ? { stack: error.stack } : {}),
  };
}
