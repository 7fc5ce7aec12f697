import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as rxjs from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deepenRxjsImports, rxjsExportMap } from './rxjs-imports.js';

const require = createRequire(import.meta.url);
const exports = rxjsExportMap(await readFile(require.resolve('rxjs'), 'utf8'));

describe('deep rxjs imports in dist/', () => {
  it("gives every name the modules define the very object 'rxjs' exports, so plugins importing 'rxjs' share core's classes", () => {
    expect(exports.size).toBeGreaterThan(100);
    const differing = [...exports].filter(([name, { path, name: inner }]) => (require(path) as Record<string, unknown>)[inner] !== (rxjs as Record<string, unknown>)[name]);
    expect(differing.map(([name]) => name)).toEqual([]);
    expect(exports.get('Observable')).toEqual({ path: 'rxjs/internal/Observable', name: 'Observable' });
  });

  it('rewrites an import on its own line, keeping renames and the rest of the module', () => {
    const source = "import { map, Observable as Obs, firstValueFrom } from 'rxjs';\nimport { z } from 'zod';\nconst x = 1;\n";
    expect(deepenRxjsImports(source, exports)).toBe(
      "import { map } from 'rxjs/internal/operators/map'; import { Observable as Obs } from 'rxjs/internal/Observable'; import { firstValueFrom } from 'rxjs/internal/firstValueFrom';\nimport { z } from 'zod';\nconst x = 1;\n",
    );
  });

  it('fails the build on a name no rxjs module defines', () => {
    expect(() => deepenRxjsImports("import { notAnOperator } from 'rxjs';", exports, 'dist/x.js')).toThrow(/dist\/x\.js: rxjs export "notAnOperator"/);
  });
});
