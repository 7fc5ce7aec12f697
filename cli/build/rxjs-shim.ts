// `npm run build`, after tsc: dist/'s modules import rxjs through dist/rxjs.cjs, which loads only
// the rxjs modules they use (see rxjs-imports.ts for why and why there is still one rxjs).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redirectRxjsImports, rxjsExportMap, rxjsImportedNames, rxjsShim } from './rxjs-imports.js';

const dist = fileURLToPath(new URL('../../', import.meta.url));
const shimFile = join(dist, 'rxjs.cjs');
const index = createRequire(import.meta.url).resolve('rxjs');
const exports = rxjsExportMap(await readFile(index, 'utf8'));
if (exports.size < 100) throw new Error(`${index}: found ${exports.size} exports; has rxjs's CommonJS index changed shape?`);
const modules = new Map<string, string>();
for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const file = join(entry.parentPath, entry.name);
  const source = await readFile(file, 'utf8');
  if (rxjsImportedNames(source).length > 0) modules.set(file, source);
}
await writeFile(shimFile, rxjsShim([...modules.values()].flatMap(rxjsImportedNames), exports));
for (const [file, source] of modules) {
  const path = relative(dirname(file), shimFile).split(sep).join('/');
  await writeFile(file, redirectRxjsImports(source, path.startsWith('.') ? path : `./${path}`));
}
console.log(`dist: ${modules.size} modules import rxjs through dist/rxjs.cjs`);
