/**
 * Build step for dist/: `import { map, Observable } from 'rxjs'` becomes imports of the modules
 * that define those names (`rxjs/internal/operators/map`, `rxjs/internal/Observable`). Under
 * Node, rxjs's main entry is its CommonJS index, which loads all 223 of its modules; the agent
 * uses about 25 names, which need about 80. The deep paths are rxjs's own `./internal/*` exports
 * and resolve to the very files its index re-exports, so an Observable, a Subject or an operator
 * is the same object whether a plugin imports it from 'rxjs' or core from its deep path. The
 * sources keep importing 'rxjs': this only changes what the built files load.
 */

/** Each name rxjs's CommonJS index exports, with the module (under `rxjs/internal/`) and the name there. */
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

/**
 * `source` (a built ES module) with every `import { ... } from 'rxjs'` replaced by imports from
 * the defining modules, on the same line so source maps stay right. Throws on a name the map
 * lacks (a newer rxjs moved it): the build fails rather than ship an import that cannot resolve.
 */
export function deepenRxjsImports(source: string, exports: ReadonlyMap<string, { readonly path: string; readonly name: string }>, file = 'module'): string {
  return source.replace(/import\s*\{([^}]*)\}\s*from\s*'rxjs';/g, (_statement, list: string) => {
    const byPath = new Map<string, string[]>();
    for (const specifier of list.split(',').map((part) => part.trim()).filter(Boolean)) {
      const [imported = '', local = imported] = specifier.split(/\s+as\s+/);
      const target = exports.get(imported);
      if (!target) throw new Error(`${file}: rxjs export "${imported}" has no module under rxjs/internal/`);
      const names = byPath.get(target.path) ?? [];
      names.push(target.name === local ? local : `${target.name} as ${local}`);
      byPath.set(target.path, names);
    }
    return [...byPath].map(([path, names]) => `import { ${names.join(', ')} } from '${path}';`).join(' ');
  });
}
