/**
 * The dependency-free part of core, for code that must answer at once: the CLI's argument parsing,
 * exit statuses and error lines run before (or instead of) any agent, and importing core/index.ts
 * there would load inversify, zod and rxjs (hundreds of modules) for `amora --version`. Everything
 * here imports nothing outside core and nothing heavy inside it (core/entry-points.spec.ts keeps
 * it so). For our own code only, like core/internal.ts; the same names stay exported from index.ts.
 */

export { AmoraError, PluginLoadError, TimeoutError, isAmoraError, type AmoraErrorCode } from './errors.js';
export { redactString } from './config/redact.js';
export { findJsonProblem, isUnsafeKey, type JsonProblem } from './state/json-guard.js';
export { LOG_FORMATS, LOG_LEVELS } from './config/log-settings.js';
