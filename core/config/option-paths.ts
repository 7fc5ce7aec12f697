import { isJsonObject } from '../state/json.js';

/**
 * Relative file paths in kind options (certificates, keys) are read from the config file's
 * directory, as users expect of a path written in a file, not from the agent's working directory.
 * Kinds name their path options (PluginKind.paths); core resolves them here, before the kind's
 * schema sees them, so every adapter's file readers get absolute paths without knowing the config.
 * Browser-safe: plain string work, no node:path.
 */

/** True for `/x`, `\x`, `C:\x`, `C:/x` and `\\server\share`. */
function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[a-z]:[/\\]/i.test(path);
}

/** True for `file:`, `https:` and other URLs (not Windows drive letters). */
function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(value) && !/^[a-z]:[/\\]/i.test(value);
}

/** The directory as a filesystem path; undefined for a non-file URL (nothing to resolve against). */
function directoryPath(baseDir: string): string | undefined {
  if (!isUrl(baseDir)) return baseDir;
  const url = new URL(baseDir);
  if (url.protocol !== 'file:') return undefined;
  const path = decodeURIComponent(url.pathname);
  // file:///C:/x → C:/x
  return /^\/[a-z]:\//i.test(path) ? path.slice(1) : path;
}

/** True for a value a path option holds as a file path: a non-empty string, not inline PEM, not a URL. */
export function isFilePathValue(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !value.includes('-----BEGIN') && !isUrl(value);
}

/**
 * `value` resolved against `baseDir` when it is a relative file path. Left alone: non-strings,
 * empty strings (absent), inline PEM text, absolute paths and URLs.
 */
export function resolveFilePath(value: unknown, baseDir: string): unknown {
  if (typeof value !== 'string' || value === '' || value.includes('-----BEGIN') || isAbsolutePath(value) || isUrl(value)) return value;
  const dir = directoryPath(baseDir);
  if (dir === undefined || dir === '') return value;
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  const base = dir.replace(/[/\\]+$/, '');
  const relative = value.replace(/^(\.[/\\])+/, '');
  return `${base}${separator}${relative}`;
}

/**
 * A copy of a kind's options with the values at `paths` (dot-separated keys such as `tls.ca`)
 * resolved against `baseDir`; the options themselves when there is nothing to do. Missing keys and
 * sections of the wrong shape are left for the kind's schema to report.
 */
export function resolveOptionPaths<T>(options: T, paths: readonly string[] | undefined, baseDir: string | undefined): T {
  if (baseDir === undefined || !paths || paths.length === 0 || !isJsonObject(options)) return options;
  let result: Record<string, unknown> = options;
  for (const path of paths) result = resolveAt(result, path.split('.'), baseDir);
  return result as T;
}

function resolveAt(target: Record<string, unknown>, [head, ...rest]: readonly string[], baseDir: string): Record<string, unknown> {
  if (head === undefined || !(head in target)) return target;
  const value = target[head];
  if (rest.length > 0) {
    if (!isJsonObject(value)) return target;
    const inner = resolveAt(value, rest, baseDir);
    return inner === value ? target : { ...target, [head]: inner };
  }
  const resolved = resolveFilePath(value, baseDir);
  return resolved === value ? target : { ...target, [head]: resolved };
}
