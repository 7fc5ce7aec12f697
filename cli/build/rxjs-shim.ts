// `npm run build`, after tsc: dist/'s modules import rxjs through `#rxjs` (package.json "imports"):
// under Node dist/rxjs.cjs, which loads only the rxjs modules they use; elsewhere (a browser
// bundler) rxjs itself, so a bundle holds one rxjs. See rxjs-imports.ts for why.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redirectRxjsImports, RXJS_SPECIFIER, rxjsExportMap, rxjsImportedNames, rxjsShim } from './rxjs-imports.js';

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
for (const [file, source] of modules) await writeFile(file, redirectRxjsImports(source, RXJS_SPECIFIER));
console.log(`dist: ${modules.size} modules import rxjs through ${RXJS_SPECIFIER} (dist/rxjs.cjs under Node)`);
