/** The log levels a config, `--log-level` and AMORA_LOG_LEVEL accept (pino's, plus `silent`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** How the CLI writes log lines: `json` (pino, for files and services) or `pretty` (colored, for a person). */
export const LOG_FORMATS = ['json', 'pretty'] as const;
