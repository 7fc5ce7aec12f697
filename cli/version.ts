import { readFileSync } from 'node:fs';

/** The installed package's version, reported in the device's `system.version`. */
export function packageVersion(): string {
  // Built: dist/cli/version.js (two levels below the root); from source: cli/version.ts (one).
  for (const relative of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'amora-sync' && pkg.version) return pkg.version;
    } catch {
      // not at this level; try the next
    }
  }
  return '0.0.0';
}
