/**
 * Turns a plugin specifier into something `import()` accepts, without node:path or node:url, so
 * the loader stays browser-safe: relative and absolute paths become file: URLs resolved against
 * the config file's directory; URLs pass through; bare package names are left to the runtime.
 */

/** True for `./x`, `../x`, `/x`, `C:\x`, `C:/x` and `\\server\share` paths. */
export function isPathSpecifier(specifier: string): boolean {
  return /^\.{1,2}([/\\]|$)/.test(specifier) || isAbsolutePath(specifier);
}

/** True for `file:`, `http(s):`, `data:` and other URL specifiers (not Windows drive letters). */
export function isUrlSpecifier(specifier: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(specifier) && !/^[a-z]:[/\\]/i.test(specifier);
}

function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[a-z]:[/\\]/i.test(path) || path.startsWith('\\\\');
}

/** A directory (a path or a URL) as a URL ending in `/`, so relative specifiers resolve inside it. */
export function directoryUrl(dir: string): URL {
  if (isUrlSpecifier(dir)) return new URL(dir.endsWith('/') ? dir : `${dir}/`);
  return fileUrl(dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`);
}

/** A file: URL for an absolute path, percent-encoding what a path may hold but a URL may not. */
export function fileUrl(path: string): URL {
  if (!isAbsolutePath(path)) throw new Error(`not an absolute path: ${path}`);
  let normalized = path.replace(/\\/g, '/');
  // `C:/x` → `/C:/x`; a UNC path `//server/share` keeps its host.
  if (/^[a-z]:\//i.test(normalized)) normalized = `/${normalized}`;
  const url = new URL('file:///');
  if (normalized.startsWith('//')) {
    const [host = '', ...rest] = normalized.slice(2).split('/');
    url.host = host;
    normalized = `/${rest.join('/')}`;
  }
  // The pathname setter encodes spaces, `?` and `#`, but takes `%` as an escape: encode it first.
  url.pathname = normalized.replace(/%/g, '%25');
  return url;
}

/**
 * The string to `import()` for a plugin specifier: a URL for paths (relative ones resolved
 * against `baseDir`, or the current directory's URL when none is given), the specifier otherwise.
 */
export function moduleUrlFor(specifier: string, baseDir?: string): string {
  if (isUrlSpecifier(specifier)) return specifier;
  if (isAbsolutePath(specifier)) return fileUrl(specifier).href;
  if (isPathSpecifier(specifier)) {
    if (baseDir === undefined) throw new Error(`relative plugin path "${specifier}" needs a base directory (the config file's)`);
    return new URL(specifier.replace(/\\/g, '/'), directoryUrl(baseDir)).href;
  }
  return specifier;
}
