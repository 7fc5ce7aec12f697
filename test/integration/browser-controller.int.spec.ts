import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import * as core from '../../core/index.js';
import { bundleForBrowser, CONTROLLER_PAGE, type PageBundle } from '../browser/bundle-page.js';
import { servePage, type PageServer } from '../browser/page-server.js';
import { describeWithBinaries } from '../support/system-deps.js';

const DEVICE = 'browser-player-1';
/** The system Chromium, sandbox-less (root in CI) and kept off the network (there is none). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const MQTT_BROWSER_BUILD = fileURLToPath(new URL('../../node_modules/mqtt/dist/mqtt.esm.js', import.meta.url));
const MQTT_NODE_BUILD = fileURLToPath(new URL('../../node_modules/mqtt/build/', import.meta.url));
/** The Node-only face of the MQTT adapter (embedded broker, TLS files): must not bundle. */
const MQTT_NODE_ENTRY = fileURLToPath(new URL('../../adapters/mqtt/node.ts', import.meta.url));

function volumeOf(state: core.JsonObject): unknown {
  const audio = state['audio'];
  return core.isJsonObject(audio) ? audio['volume'] : undefined;
}

// The DESIGN promise that client apps run core and the MQTT controller in a browser, checked in
// one: the page is bundled by Vite for the browser (a Node built-in fails the build), served over
// HTTP and run in headless Chromium, where it drives a virtual-player agent through the embedded
// broker's WebSocket listener with mqtt.js's browser build. `window.amora` is the page's API
// (test/browser/controller-page-api.ts, declared globally there).
describeWithBinaries(['chromium'], 'MQTT controller in a real browser (headless Chromium, ws://)', (bin) => {
  let outDir: string;
  let bundle: PageBundle;
  let broker: EmbeddedBroker;
  let agent: Agent;
  let server: PageServer;
  let browser: Browser;
  let page: Page;
  /** Uncaught errors and console errors of the page; none are expected. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'amora-browser-'));
    [bundle, broker] = await Promise.all([bundleForBrowser(CONTROLLER_PAGE, join(outDir, 'page')), startEmbeddedBroker({ port: 0, wsPort: 0 })]);
    const config = parseConfig({
      device: { id: DEVICE },
      player: { kind: 'virtual', initialVolume: 50 },
      // aedes speaks MQTT 3.1.1 only; asking for it directly skips the fallback round.
      transports: [{ kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: 4 }],
      system: { enabled: false },
    });
    agent = await buildAgent(config, createBuiltinRegistry());
    await agent.start();
    server = await servePage(bundle.dir, bundle.entry);
    browser = await chromium.launch({ executablePath: bin.chromium, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    const query = new URLSearchParams({ broker: `ws://127.0.0.1:${broker.wsPort}`, device: DEVICE });
    await page.goto(`${server.url}?${query}`);
    await page.evaluate(() => window.amora!.connected());
  });

  afterAll(async () => {
    if (page) await page.evaluate(() => window.amora?.close()).catch(() => undefined);
    await browser?.close();
    await server?.close();
    await agent?.stop();
    await broker?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('bundles with mqtt.js browser build and no Node built-in, and runs all of core in the page', async () => {
    expect(bundle.modules).toContain(MQTT_BROWSER_BUILD);
    expect(bundle.modules.filter((id) => id.startsWith(MQTT_NODE_BUILD))).toEqual([]);
    // Every export of core evaluated in the browser, not only what the page uses.
    expect(await page.evaluate(() => window.amora!.coreExports)).toEqual(Object.keys(core).toSorted());
  });

  it('refuses to bundle a Node built-in (the check above is not vacuous)', async () => {
    // Vite 8 alone would build this without a word, with an empty stub in place of node:net.
    await expect(bundleForBrowser(MQTT_NODE_ENTRY, join(outDir, 'node-entry'))).rejects.toThrow(/Node built-in "node:[a-z/]+" imported by .*adapters\/mqtt\//);
  });

  it('receives the device state through state$', async () => {
    const message = await page.evaluate((device) => window.amora!.waitForState((m) => m.device_id === device), DEVICE);
    expect(message.device_id).toBe(DEVICE);
    expect(volumeOf(message.state)).toBe(50);
    expect(await page.evaluate(() => window.amora!.latestState()?.device_id)).toBe(DEVICE);
  });

  it('invokes setVolume, and the agent and the page both see volume 33', async () => {
    const response = await page.evaluate(() => window.amora!.invoke('setVolume', { volume: 33 }));
    expect(response).toMatchObject({ command: 'setVolume', success: true });
    await firstValueFrom(agent.state.reported$.pipe(filter((snapshot) => volumeOf(snapshot.state) === 33)));
    // Runs in the page, where nothing of this file is in scope: the shape is read inline.
    const seen = await page.evaluate(() => window.amora!.waitForState((m) => (m.state['audio'] as { volume?: unknown } | undefined)?.volume === 33));
    expect(seen.device_id).toBe(DEVICE);
  });

  it('gets invalid_params for a volume out of range, and the volume stays', async () => {
    const response = await page.evaluate(() => window.amora!.invoke('setVolume', { volume: 101 }));
    expect(response).toMatchObject({ command: 'setVolume', success: false, error: { code: 'invalid_params' } });
    expect(volumeOf(agent.state.snapshot.state)).toBe(33);
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
