import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliResult } from './cli-process.js';

/**
 * What the CLI loads before it answers: `--version`, help and usage errors come from the command
 * definitions alone, so they must not load core's barrels or the packages behind them (inversify,
 * zod, rxjs: hundreds of modules, half a second here). A module-loader hook (passed through
 * NODE_OPTIONS) prints every module the process loads.
 */
const HOOK = `import { writeSync } from 'node:fs';
import Module, { register } from 'node:module';
// CommonJS modules a CommonJS module requires never reach the ES module hook below.
const load = Module.prototype.load;
Module.prototype.load = function (filename) { writeSync(2, 'module-loaded file://' + filename + '\\n'); return load.call(this, filename); };
register('data:text/javascript,' + encodeURIComponent(
  "import { writeSync } from 'node:fs';" +
  "export async function load(url, context, next) { writeSync(2, 'module-loaded ' + url + '\\\\n'); return next(url, context); }"
));
`;

let dir: string;

beforeAll(async () => {
  await ensureCliBuilt();
  dir = await mkdtemp(join(tmpdir(), 'amora-cli-startup-'));
  await writeFile(join(dir, 'trace-modules.mjs'), HOOK);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI with the hook; its answer, and what it loaded: our modules under dist/ and the packages. */
async function traced(args: readonly string[]): Promise<{ result: CliResult; ours: string[]; packages: string[] }> {
  const result = await runCli(args, { NODE_OPTIONS: `--import ${join(dir, 'trace-modules.mjs')}` });
  return { result, ...loaded(result.stderr) };
}

function loaded(stderr: string): { ours: string[]; packages: string[] } {
  const urls = [...stderr.matchAll(/^module-loaded (\S+)$/gm)].map((match) => match[1] ?? '');
  const packages = new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
  const ours = urls.filter((url) => !url.includes('/node_modules/')).flatMap((url) => /\/dist\/(.+)$/.exec(url)?.[1] ?? []);
  return { ours, packages: [...packages].toSorted() };
}

describe('amora startup', () => {
  it.each([
    [['--version'], 0],
    [['ctl', '--help'], 0],
    [['agent', '--help'], 0],
    [['ctl', 'player-001'], 2],
    [['ctl', 'player-001', 'play', 'volume'], 2],
  ])('amora %j loads commander and no core barrel, so it answers at once', async (args, code) => {
    const { result, ours, packages } = await traced(args);
    expect(result.code).toBe(code);
    // The hook did report (the CLI's own entry at least), so an empty list below means something.
    expect(ours).toContain('cli/main.js');
    expect(packages).toEqual(['commander']);
    expect(ours.filter((module) => /^(core\/(index|node|internal)|cli\/actions\/|adapters\/|player\/|plugins\/)/.test(module))).toEqual([]);
  });

  it('amora agent on an MQTT + virtual-player config loads those plugins and no cloud SDK, content sync, metrics or dashboard code', async () => {
    const config = join(dir, 'agent.json');
    // No broker: the modules are loaded by the time the agent runs, connected or not.
    await writeFile(config, JSON.stringify({ device: { id: 'startup-1' }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: 'mqtt://127.0.0.1:1' }] }));
    const agent = spawnCli(['agent', '--config', config, '--no-state-dir'], { NODE_OPTIONS: `--import ${join(dir, 'trace-modules.mjs')}` });
    try {
      await agent.stderrLine((line) => line.includes('"agent running"'));
    } finally {
      await agent.stop('SIGTERM');
    }
    const { ours, packages } = loaded(agent.stderr);
    expect(ours).toContain('adapters/mqtt/plugin.js');
    expect(ours).toContain('player/virtual/plugin.js');
    expect(packages.filter((name) => /^(@azure|@aws-sdk|aws-crt|aws-iot-device-sdk|azure-|rhea|prom-client|pino-pretty|vite)/.test(name))).toEqual([]);
    // A JSON config is read by JSON.parse: the yaml package is for YAML files.
    expect(packages).not.toContain('yaml');
    // dist/ imports rxjs through a shim that requires each name from its own module
    // (cli/build/rxjs-imports.ts), not through its CommonJS index, which loads all 223.
    expect(ours).toContain('rxjs.cjs');
    expect(agent.stderr).toContain('/node_modules/rxjs/dist/cjs/internal/Observable.js');
    expect(agent.stderr).not.toContain('/node_modules/rxjs/dist/cjs/index.js');
    expect(ours.filter((module) => /^(content|dashboard|plugins|cli\/bench|cli\/metrics|adapters\/(azure|aws)|player\/mpd)\//.test(module))).toEqual([]);
  });

  it('amora keeps Node\'s compile cache under $XDG_CACHE_HOME/amora-sync where Node has one (22.1 and later)', async () => {
    const cacheHome = join(dir, 'cache-home');
    const result = await runCli(['--version'], { XDG_CACHE_HOME: cacheHome });
    expect(result.code).toBe(0);
    const written = await readdir(join(cacheHome, 'amora-sync', 'node-compile-cache')).catch(() => []);
    // Node 20 has no compile cache: nothing is written there, and the CLI runs as before.
    expect(written.length > 0).toBe('enableCompileCache' in nodeModule);
  });
});
