import type { z } from 'zod';

/** Renders a key path the way a user writes it: `transports[0].url`; the root is `(root)`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z_$][\w$-]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return out || '(root)';
}

/** One zod issue as `path: message`; unknown keys name the key itself, so a typo is easy to spot. */
export function describeIssue(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[] = []): { path: string; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    const path = formatKeyPath([...prefix, ...issue.path, ...(keys.length === 1 ? keys : [])]);
    return { path, message: `unknown key${keys.length === 1 ? '' : 's'} ${keys.map((k) => `"${k}"`).join(', ')}` };
  }
  return { path: formatKeyPath([...prefix, ...issue.path]), message: issue.message };
}

/** All issues of a zod error on one line each, e.g. `transports[0].url: Invalid input: expected string`. */
export function describeZodError(error: z.ZodError, prefix: readonly PropertyKey[] = []): string {
  return error.issues
    .map((issue) => {
      const { path, message } = describeIssue(issue, prefix);
      return `${path}: ${message}`;
    })
    .join('; ');
}
