// `npm run build`, after tsc: rewrites dist/'s rxjs imports to the modules that define each name
// (see rxjs-imports.ts for why and why it keeps one rxjs).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepenRxjsImports, rxjsExportMap } from './rxjs-imports.js';

const dist = fileURLToPath(new URL('../../', import.meta.url));
const index = createRequire(import.meta.url).resolve('rxjs');
const exports = rxjsExportMap(await readFile(index, 'utf8'));
if (exports.size < 100) throw new Error(`${index}: found ${exports.size} exports; has rxjs's CommonJS index changed shape?`);
let rewritten = 0;
for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath, entry.name);
  const source = await readFile(file, 'utf8');
  if (!source.includes("from 'rxjs'")) continue;
  const deep = deepenRxjsImports(source, exports, file);
  if (deep !== source) {
    await writeFile(file, deep);
    rewritten++;
  }
}
console.log(`dist: rxjs imports deepened in ${rewritten} modules`);
