import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The public surface of the package: every entry of package.json `exports`, the values each one
 * exports and the types it names (that those types resolve in an installed package is checked by
 * install-without-clouds.int.spec.ts).
 * A change here is a change to what integrators and plugin authors depend on, so it has to be made
 * on purpose: update the snapshot (`npx vitest run test/package-exports.spec.ts -u`) and
 * docs/plugins.md in the same commit. Internals live in core/internal.ts, which no entry exports.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const exportsField = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports;
const codeEntries = Object.entries(exportsField).filter(([, target]) => target.startsWith('./dist/'));

/** The TypeScript source a built entry comes from: `./dist/core/index.js` -> `core/index.ts`. */
function sourceOf(target: string): string {
  return join(ROOT, target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
}

const EXPORT_LIST = /export\s+(type\s+)?\{([^}]*)\}/g;
const DECLARED_TYPE = /^export\s+(?:interface|type)\s+(\w+)/gm;
const EXPORT_ALL = /^export\s+\*\s+from\s+'([^']+)'/gm;

/** The type-only names a source file exports: `type X` in export lists, its own interfaces and type aliases, through `export *`. */
function typeNames(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const names = [...source.matchAll(DECLARED_TYPE)].map((match) => match[1]!);
  for (const [, typeOnly, list] of source.matchAll(EXPORT_LIST)) {
    for (const item of list!.split(',').map((part) => part.trim()).filter(Boolean)) {
      const name = item.replace(/^type\s+/, '').split(/\s+as\s+/).at(-1)!;
      if (typeOnly || item.startsWith('type ')) names.push(name);
    }
  }
  for (const [, from] of source.matchAll(EXPORT_ALL)) names.push(...typeNames(join(dirname(file), from!.replace(/\.js$/, '.ts'))));
  return [...new Set(names)].toSorted();
}

describe('package exports', () => {
  it('are these entry points', () => {
    expect(Object.keys(exportsField)).toMatchSnapshot('entries');
  });

  it.each(codeEntries)('%s exports exactly these values', async (_entry, target) => {
    const module = (await import(sourceOf(target))) as Record<string, unknown>;
    expect(Object.keys(module).toSorted()).toMatchSnapshot('values');
  });

  it.each(codeEntries)('%s exports exactly these types', (_entry, target) => {
    expect(typeNames(sourceOf(target))).toMatchSnapshot('types');
  });

  it("keep core's internals out of core's entries", async () => {
    const internals = Object.keys(await import(join(ROOT, 'core', 'internal.ts')));
    for (const target of [exportsField['.'], exportsField['./node']]) {
      const exported = Object.keys((await import(sourceOf(target!))) as object);
      expect(internals.filter((name) => exported.includes(name))).toEqual([]);
    }
  });
});
