import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Adapters, players, plugins and the cli depend on core only through its public entry points, so
 * what a third-party plugin can use is exactly what the built-ins use, and core can move its
 * insides without breaking them.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = join(ROOT, 'core');
const ENTRY_POINTS = new Set([join(CORE, 'index.ts'), join(CORE, 'node.ts'), join(CORE, 'mqtt.ts')]);
const USERS = ['adapters', 'player', 'content', 'plugins', 'cli'];
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of a core module other than the entry points, as `file -> specifier`. */
function deepCoreImports(): string[] {
  const found: string[] = [];
  for (const file of USERS.flatMap((dir) => typescriptFiles(join(ROOT, dir)))) {
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (target.startsWith(`${CORE}/`) && !ENTRY_POINTS.has(target)) found.push(`${relative(ROOT, file)} -> ${specifier}`);
    }
  }
  return found;
}

describe('core entry points', () => {
  it('are the only core modules adapters, players, plugins and the cli import', () => {
    expect(deepCoreImports()).toEqual([]);
  });
});
