import pino from 'pino';
import type { Logger } from '../core/logging/logger.js';

/** Key names whose values never reach a log line, wherever they appear in logged objects. */
const SECRET_PATHS = [
  'password', '*.password', 'key', '*.key', 'sharedAccessKey', '*.sharedAccessKey',
  'connectionString', '*.connectionString', 'token', '*.token', 'sas', '*.sas',
];

/** A pino logger on stderr (stdout stays free for command output), with secrets redacted. */
export function createCliLogger(level: string = process.env.AMORA_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { level, base: undefined, redact: { paths: SECRET_PATHS, censor: '[redacted]' } },
    pino.destination({ fd: 2, sync: true }),
  ) as unknown as Logger;
}
