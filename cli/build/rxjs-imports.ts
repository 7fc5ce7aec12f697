/**
 * Build step for dist/: its modules import rxjs through one CommonJS file, dist/rxjs.cjs, which
 * requires each name from the module that defines it (`rxjs/internal/operators/map`, ...). Under
 * Node, rxjs's main entry is its CommonJS index, which loads all 223 of its modules; the agent
 * uses about 25 names, which need 85. One file, not an import per module: each ES module
 * import of a CommonJS module costs Node a source scan for its names, which ate the saving when
 * every built module imported the deep paths itself. The deep paths are rxjs's own `./internal/*`
 * exports and resolve to the very files its index re-exports, so an Observable, a Subject or an
 * operator is the same object whether a plugin imports it from 'rxjs' or core through the shim.
 * The sources keep importing 'rxjs': this only changes what the built files load. They import
 * `#rxjs`, which package.json's "imports" maps to the shim under Node and to rxjs itself for any
 * other condition: a browser bundler (no `node` condition) resolves the app's own 'rxjs' to rxjs's
 * ES build, and a shim requiring its CommonJS files would have put a second rxjs in the bundle.
 */

/** What dist/'s modules import rxjs from (package.json "imports"). */
export const RXJS_SPECIFIER = '#rxjs';

/** What rxjs's CommonJS index exports: each name's module (`rxjs/internal/...`) and its name there. */
export function rxjsExportMap(indexSource: string): Map<string, { readonly path: string; readonly name: string }> {
  const modules = new Map<string, string>();
  for (const [, variable, path] of indexSource.matchAll(/^var (\w+) = require\("\.\/internal\/([\w/]+)"\);$/gm)) modules.set(variable!, path!);
  const exports = new Map<string, { path: string; name: string }>();
  const getter = /^Object\.defineProperty\(exports, "(\w+)", \{ enumerable: true, get: function \(\) \{ return (\w+)\.(\w+); \} \}\);$/gm;
  for (const [, exported, variable, name] of indexSource.matchAll(getter)) {
    const path = modules.get(variable!);
    if (path) exports.set(exported!, { path: `rxjs/internal/${path}`, name: name! });
  }
  return exports;
}

// From 'rxjs', or from the shim already (a module tsc did not emit again in an incremental build).
const RXJS_IMPORT = /import\s*\{([^}]*)\}\s*from\s*'(?:rxjs|#rxjs)';/g;

/** The names a built ES module imports from 'rxjs'. */
export function rxjsImportedNames(source: string): string[] {
  return [...source.matchAll(RXJS_IMPORT)].flatMap(([, list]) =>
    list!.split(',').map((part) => part.trim().split(/\s+as\s+/)[0] ?? '').filter(Boolean),
  );
}

/** `source` with its imports from 'rxjs' taken from `shim` instead (same line, so source maps stay right). */
export function redirectRxjsImports(source: string, shim: string): string {
  return source.replace(RXJS_IMPORT, (_statement, list: string) => `import {${list}} from '${shim}';`);
}

/**
 * The CommonJS shim exporting `names`, each required from its defining module. Throws on a name
 * the map lacks (a newer rxjs moved it): the build fails rather than ship an import that breaks.
 */
export function rxjsShim(names: Iterable<string>, exports: ReadonlyMap<string, { readonly path: string; readonly name: string }>): string {
  const lines = ["'use strict';", '// Written by cli/build/rxjs-imports.ts: the rxjs names dist/ uses, each from its own module.'];
  for (const name of [...new Set(names)].toSorted()) {
    const target = exports.get(name);
    if (!target) throw new Error(`rxjs export "${name}" has no module under rxjs/internal/`);
    lines.push(`exports.${name} = require('${target.path}').${target.name};`);
  }
  return `${lines.join('\n')}\n`;
}
