import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Adapters, players, plugins, the client and the cli depend on core only through its entry points,
 * so core can move its insides without breaking them: the public ones (index.ts, node.ts, what the
 * package exports) and, for our own code, internal.ts (shared plumbing the package does not
 * export), mqtt.ts (the mqtt.js connection our MQTT-speaking transports share) and basics.ts (the
 * dependency-free part, for the CLI's fast paths). The template plugin and the examples are what a
 * third party copies, so they get the public ones only.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = join(ROOT, 'core');
const PUBLIC_ENTRY_POINTS = new Set([join(CORE, 'index.ts'), join(CORE, 'node.ts')]);
const BASICS = join(CORE, 'basics.ts');
const OUR_ENTRY_POINTS = new Set([...PUBLIC_ENTRY_POINTS, join(CORE, 'internal.ts'), join(CORE, 'mqtt.ts'), BASICS]);
const USERS = ['adapters', 'player', 'content', 'plugins', 'client', 'cli'];
const THIRD_PARTY_MODELS = [join(ROOT, 'plugins', 'template'), join(ROOT, 'examples')];
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of a core module other than the allowed entry points, as `file -> specifier`. */
function deepCoreImports(dirs: readonly string[], allowed: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap((dir) => typescriptFiles(dir))) {
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
      if (target.startsWith(`${CORE}/`) && !allowed.has(target)) found.push(`${relative(ROOT, file)} -> ${specifier}`);
    }
  }
  return found;
}

/** The packages (and Node built-ins) a module loads, following its relative imports all the way down. */
function packagesLoadedBy(entry: string): string[] {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (/^\s*(?:import|export)\s+type\s/.test(match[0].replace(/^\n/, ''))) continue; // erased at build
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
  };
  visit(entry);
  return [...packages];
}

describe('core entry points', () => {
  it('are the only core modules adapters, players, plugins, the client and the cli import', () => {
    expect(deepCoreImports(USERS.map((dir) => join(ROOT, dir)), OUR_ENTRY_POINTS)).toEqual([]);
  });

  it('leave the template plugin and the examples the public ones only, as a third party has', () => {
    expect(deepCoreImports(THIRD_PARTY_MODELS, PUBLIC_ENTRY_POINTS)).toEqual([]);
  });

  it('keep basics.ts free of packages, so the CLI can answer --version and usage errors without loading inversify, zod or rxjs', () => {
    expect(packagesLoadedBy(BASICS)).toEqual([]);
  });
});
