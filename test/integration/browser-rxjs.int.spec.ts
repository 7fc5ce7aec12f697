import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleForBrowser, type PageBundle } from '../browser/bundle-page.js';
import { ensureCliBuilt, ROOT } from './cli-build.js';

// dist/ imports rxjs through `#rxjs` (package.json "imports"): Node gets dist/rxjs.cjs, which loads
// only the rxjs modules the agent uses; a browser bundler must get rxjs itself, the very ES build
// the app's own `import 'rxjs'` resolves to, or the bundle would hold two rxjs (and two Observable
// classes). Bundled here as a browser app would: the built core and MQTT controller (what the
// browser controller page uses, from dist/ as the package ships them) next to its own rxjs import.
let dir: string;
let bundle: PageBundle;

beforeAll(async () => {
  await ensureCliBuilt();
  await mkdir(join(ROOT, 'test-artifacts'), { recursive: true });
  dir = await mkdtemp(join(ROOT, 'test-artifacts', 'browser-rxjs-'));
  const entry = join(dir, 'app.ts');
  const core = join(ROOT, 'dist', 'core', 'index.js');
  const mqtt = join(ROOT, 'dist', 'adapters', 'mqtt', 'index.js');
  await writeFile(
    entry,
    `import { Observable } from 'rxjs';\nimport * as core from ${JSON.stringify(core)};\nimport { MqttControllerTransport } from ${JSON.stringify(mqtt)};\nexport const parts = [Observable, core, MqttControllerTransport];\n`,
  );
  bundle = await bundleForBrowser(entry, join(dir, 'out'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("bundles the built controller with the app's own rxjs: one rxjs, its ES build, and not the Node shim", () => {
  const rxjs = bundle.modules.filter((id) => id.includes('/node_modules/rxjs/'));
  expect(rxjs.length).toBeGreaterThan(0);
  expect(rxjs.filter((id) => !id.includes('/node_modules/rxjs/dist/esm'))).toEqual([]);
  expect(bundle.modules.filter((id) => id.endsWith('rxjs.cjs'))).toEqual([]);
  expect(bundle.modules.some((id) => id.includes(join('dist', 'adapters', 'mqtt')))).toBe(true);
});
