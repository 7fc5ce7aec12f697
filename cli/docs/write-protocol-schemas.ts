// `npm run docs:schemas`: rewrites the JSON Schemas in docs/protocol.md from the zod schemas.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderProtocolSchemas } from '../../core/internal.js';

const doc = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));
const before = await readFile(doc, 'utf8');
const after = renderProtocolSchemas(before);
if (after === before) {
  console.log('docs/protocol.md: schemas up to date');
} else {
  await writeFile(doc, after);
  console.log('docs/protocol.md: schemas rewritten');
}
