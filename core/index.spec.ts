import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from './index.js';

const ALLOWED_PACKAGES = new Set(['rxjs', 'inversify', 'zod']);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

/** Every module specifier reachable from `entry` through relative imports, with the importing file. */
function reachableImports(entry: string): { file: string; specifier: string }[] {
  const seen = new Set<string>();
  const found: { file: string; specifier: string }[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else found.push({ file, specifier });
    }
  };
  visit(entry);
  return found;
}

describe('core public API', () => {
  // internal.ts too: the browser-safe MQTT controller imports it.
  it.each(['./index.ts', './internal.ts'])('%s stays browser-safe: only rxjs, inversify and zod, no Node built-ins', (path) => {
    const entry = fileURLToPath(new URL(path, import.meta.url));
    const imports = reachableImports(entry);
    const offending = imports.filter(({ specifier }) => {
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
      return specifier.startsWith('node:') || builtinModules.includes(name) || !ALLOWED_PACKAGES.has(name);
    });
    expect(offending).toEqual([]);
  });

  it('builds on rxjs, inversify and zod', () => {
    const imports = reachableImports(fileURLToPath(new URL('./index.ts', import.meta.url)));
    expect(imports.map((i) => i.specifier)).toEqual(expect.arrayContaining(['rxjs', 'inversify', 'zod']));
  });

  // The whole list is pinned in test/package-exports.spec.ts; these are what the docs build on.
  it('exports the main building blocks', () => {
    for (const name of [
      'createAgent',
      'Agent',
      'buildAgent',
      'buildController',
      'PluginRegistry',
      'definePlugin',
      'TOKENS',
      'parseConfig',
      'redactSecrets',
      'createPlayerProfile',
      'PLAYER_COMMANDS',
      'Outbox',
      'applyMergePatch',
      'createMergePatch',
      // What every transport shares, so a plugin gets it as the built-ins do.
      'ReconnectingLink',
      'BufferedSender',
      'encodeResponseOrError',
      'presenceMessage',
      'RetainedGuard',
      'RateLimiter',
    ]) {
      expect(core).toHaveProperty(name);
    }
  });
});
