import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { createRequire } from 'node:module';
import { redactSecrets, redactString, type LogFn, type Logger } from '../core/index.js';
import { LOG_FORMATS, LOG_LEVELS } from '../core/basics.js';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The format to log in: the one asked for (--log-format, the config's `log.format`, or
 * AMORA_LOG_FORMAT), else `pretty` when stderr is a terminal and `json` otherwise, so files,
 * pipes, journald and log shippers keep one JSON object per line.
 */
export function resolveLogFormat(requested?: string, env: NodeJS.ProcessEnv = process.env, isTerminal = process.stderr.isTTY === true): LogFormat {
  const asked = requested ?? env['AMORA_LOG_FORMAT'];
  if (asked !== undefined && (LOG_FORMATS as readonly string[]).includes(asked)) return asked as LogFormat;
  return isTerminal ? 'pretty' : 'json';
}

/** Colors only on a terminal and never when NO_COLOR is set to anything (https://no-color.org). */
export function colorAllowed(env: NodeJS.ProcessEnv = process.env, isTerminal = process.stderr.isTTY === true): boolean {
  return isTerminal && !env['NO_COLOR'];
}

/**
 * Where log lines go: stderr (stdout stays free for command output), as pino's JSON lines or as
 * pino-pretty's one readable line per entry (`12:00:01.123 INFO: agent running {"device":"x"}`).
 * Both write synchronously, so the last lines before an exit are never lost.
 */
export function logDestination(format: LogFormat, options: { colorize?: boolean; stream?: NodeJS.WritableStream } = {}): DestinationStream {
  if (format === 'json') return options.stream ?? pino.destination({ fd: 2, sync: true });
  // Required on use (it is CommonJS, so synchronously): a service logging JSON never loads it.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pinoPretty({
    colorize: options.colorize ?? colorAllowed(),
    destination: options.stream ?? 2,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * A pino logger (on stderr unless given a destination). Every line passes through the
 * config redaction first (secret-looking keys, URL credentials, SAS keys), so a secret that reaches
 * a log call by any path (a config dump, an error quoting a URL) never reaches the terminal.
 */
export function createCliLogger(
  level: string = process.env.AMORA_LOG_LEVEL ?? 'info',
  destination: DestinationStream = logDestination(resolveLogFormat()),
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
