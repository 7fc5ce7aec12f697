import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as rxjs from 'rxjs';
import { describe, expect, it } from 'vitest';
import { redirectRxjsImports, RXJS_SPECIFIER, rxjsExportMap, rxjsImportedNames, rxjsShim } from './rxjs-imports.js';

const require = createRequire(import.meta.url);
const exports = rxjsExportMap(await readFile(require.resolve('rxjs'), 'utf8'));

describe("dist/'s rxjs shim", () => {
  it("gives every name the module that defines the very object 'rxjs' exports, so plugins importing 'rxjs' share core's classes", () => {
    expect(exports.size).toBeGreaterThan(100);
    const differing = [...exports].filter(([name, { path, name: inner }]) => (require(path) as Record<string, unknown>)[inner] !== (rxjs as Record<string, unknown>)[name]);
    expect(differing.map(([name]) => name)).toEqual([]);
    expect(exports.get('Observable')).toEqual({ path: 'rxjs/internal/Observable', name: 'Observable' });
  });

  it('finds the names a module imports and points its import at the shim on the same line', () => {
    const source = "import { map, Observable as Obs } from 'rxjs';\nimport { z } from 'zod';\nconst x = 1;\n";
    expect(rxjsImportedNames(source)).toEqual(['map', 'Observable']);
    const redirected = redirectRxjsImports(source, RXJS_SPECIFIER);
    expect(redirected).toBe("import { map, Observable as Obs } from '#rxjs';\nimport { z } from 'zod';\nconst x = 1;\n");
    // A module already pointed at the shim (not emitted again by tsc) still counts.
    expect(rxjsImportedNames(redirected)).toEqual(['map', 'Observable']);
  });

  it('writes a CommonJS shim requiring each name from its module, and fails the build on a name no module defines', () => {
    expect(rxjsShim(['map', 'Observable', 'map'], exports)).toContain(
      "exports.Observable = require('rxjs/internal/Observable').Observable;\nexports.map = require('rxjs/internal/operators/map').map;\n",
    );
    expect(() => rxjsShim(['notAnOperator'], exports)).toThrow(/rxjs export "notAnOperator"/);
  });
});
