import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, it } from 'vitest';
import { installCommand } from '../../cli/optional-packages.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt, ROOT } from './cli-build.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CLOUD_PACKAGES = ['azure-iot-device', 'azure-iot-device-mqtt', 'azure-iothub', 'azure-iot-common', 'aws-iot-device-sdk-v2', 'aws-crt', '@aws-sdk'];

/**
 * `npm install` of the tarball as a user would, but from the npm cache when it holds everything
 * (CI and dev machines do after `npm ci`), the registry only as a fallback.
 */
async function installFromCache(tarball: string, app: string): Promise<void> {
  const args = ['install', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', tarball];
  await run('npm', [...args, '--offline'], { cwd: app }).catch(async (error: { stderr?: string }) => {
    if (!error.stderr?.includes('ENOTCACHED')) throw error;
    await run('npm', [...args, '--prefer-offline'], { cwd: app });
  });
}

interface PackageManifest {
  readonly name: string;
  readonly exports?: string | Record<string, unknown>;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** Every module a declaration file names: `from '…'`, `import('…')`, `import '…'`, `/// <reference types="…" />`. */
function importedModules(declarations: string): string[] {
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm, /<reference\s+types=['"]([^'"]+)['"]/g];
  return patterns.flatMap((pattern) => [...declarations.matchAll(pattern)].map((match) => match[1]!));
}

/** A relative module specifier in built JavaScript: `from './x.js'`, `import('./x.js')`, `import './x.js'`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** `@scope/name/sub/path` -> `{ name: '@scope/name', subpath: './sub/path' }` (`.` for the package itself). */
function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, length).join('/'), subpath: ['.', ...parts.slice(length)].join('/') };
}

/**
 * Whether `subpath` is an entry `name` publishes: the package itself, or a key of its `exports`
 * (`*` patterns included). A path into a package without `exports` (say `sdk/dist/internal.js`)
 * is its layout, not its API. Read from the repository's own install: optional peers are absent
 * from the user's.
 */
async function isPublicEntry(name: string, subpath: string): Promise<boolean> {
  if (subpath === '.') return true;
  const manifest = JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as PackageManifest;
  if (typeof manifest.exports !== 'object') return false;
  return Object.keys(manifest.exports).some((key) => {
    const [prefix, suffix] = key.split('*');
    return suffix === undefined ? key === subpath : subpath.startsWith(prefix!) && subpath.endsWith(suffix);
  });
}

/**
 * The package as a user installs it: `npm pack`, then `npm install` of the tarball into an empty
 * project (dependencies from the npm cache, the registry only for what the cache lacks; optional
 * peers left out as npm does). An MQTT agent runs from it; a cloud kind names the packages to
 * install; a TypeScript program importing every entry point type-checks against the published
 * declarations, and no declaration file (entry or not) imports what a user's install may lack.
 */
describeWithBinaries(['mosquitto'], 'npm install amora-sync without a cloud SDK', () => {
  let dir: string;
  let app: string;
  let broker: MosquittoHandle;

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-install-'));
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
    const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    app = join(dir, 'app');
    await run('mkdir', [app]);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await installFromCache(tarball, app);
    broker = await startMosquitto();
  }, 240_000);

  // A test that times out never reaches its own `finally`: the agent it started must not outlive the run.
  let agent: ChildProcess | undefined;

  afterAll(async () => {
    agent?.kill('SIGKILL');
    await broker?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The tests are independent (own config files and device ids), so they run side by side.
  it.concurrent('brings no cloud SDK and no native binary', async ({ expect }) => {
    const installed = await readdir(join(app, 'node_modules'));
    for (const name of CLOUD_PACKAGES) expect(installed).not.toContain(name);
    const scoped = await readdir(join(app, 'node_modules', '@azure')).catch(() => []);
    expect(scoped).toEqual([]);
    await expect(stat(join(app, 'node_modules', 'aws-crt'))).rejects.toThrow(/ENOENT/);
  });

  it.concurrent('runs an MQTT agent on the virtual player', async ({ expect }) => {
    const config = join(app, 'agent.yaml');
    await writeFile(config, `device: { id: lean-001 }\nplayer: { kind: virtual }\ntransports:\n  - kind: mqtt\n    url: ${broker.url}\n`);
    agent = spawn(process.execPath, [join(app, 'node_modules', 'amora-sync', 'dist', 'cli', 'main.js'), 'agent', '--config', config], {
      cwd: app,
      stdio: 'ignore',
    });
    try {
      const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
      const state = new Promise<{ device_id: string }>((resolve) =>
        client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as { device_id: string })),
      );
      await client.subscribeAsync('amora/devices/lean-001/state', { qos: 1 });
      expect((await state).device_id).toBe('lean-001');
      await client.endAsync(true);
    } finally {
      agent.kill('SIGKILL');
    }
  });

  it.concurrent("builds an agent from a config object through the package's public exports alone", async ({ expect }) => {
    const program = join(app, 'program.mjs');
    await writeFile(
      program,
      [
        "import { buildAgent, parseConfig } from 'amora-sync';",
        "import { createBuiltinRegistry } from 'amora-sync/builtins';",
        `const config = parseConfig({ device: { id: 'lean-002' }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: '${broker.url}' }] });`,
        'const agent = await buildAgent(config, createBuiltinRegistry());',
        'await agent.start(new AbortController().signal);',
        'await agent.stop();',
        "console.log('stopped');",
      ].join('\n'),
    );
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const presence: string[] = [];
    const offline = new Promise<void>((resolve) =>
      client.on('message', (_topic, payload) => {
        presence.push((JSON.parse(payload.toString()) as { status: string }).status);
        if (presence.at(-1) === 'offline') resolve();
      }),
    );
    await client.subscribeAsync('amora/devices/lean-002/connection', { qos: 1 });
    const { stdout } = await run(process.execPath, [program], { cwd: app });
    expect(stdout.trim()).toBe('stopped');
    await offline;
    expect(presence).toEqual(['online', 'offline']);
    await client.endAsync(true);
  });

  it.concurrent('types every entry point with only the installed dependencies (no cloud SDK, skipLibCheck off)', async ({ expect }) => {
    const entries = Object.keys((JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> }).exports)
      .filter((entry) => !entry.endsWith('.json'))
      .map((entry) => `amora-sync${entry.slice(1)}`);
    // Every entry whole (`import * as`), so each of its declaration files is checked, and a few
    // typed uses of what integrators and plugin authors write.
    await writeFile(
      join(app, 'consumer.ts'),
      [
        ...entries.map((entry, index) => `import * as entry${index} from '${entry}';`),
        "import { buildAgent, defineKind, definePlugin, parseConfig, PluginRegistry, PLUGIN_API_VERSION, TOKENS, type AgentApi, type DeviceTransport } from 'amora-sync';",
        "import { createBuiltinRegistry } from 'amora-sync/builtins';",
        "import { mqttPlugin } from 'amora-sync/mqtt/node';",
        "import { awsIotPlugin } from 'amora-sync/aws-iot';",
        "import { azureIotHubPlugin } from 'amora-sync/azure-iot-hub';",
        "import { ContainerModule } from 'inversify';",
        "import { z } from 'zod';",
        `export const entries = [${entries.map((_entry, index) => `entry${index}`).join(', ')}];`,
        "const config = parseConfig({ device: { id: 'typed-001' }, transports: [{ kind: 'mqtt', url: 'mqtt://127.0.0.1:1883' }] });",
        'export const builtins = createBuiltinRegistry();',
        'const registry = new PluginRegistry();',
        'for (const plugin of [mqttPlugin, awsIotPlugin, azureIotHubPlugin]) registry.register(plugin);',
        'export const agent: Promise<AgentApi> = buildAgent(config, registry);',
        'export const plugin = definePlugin({',
        "  name: 'typed-plugin',",
        '  apiVersion: PLUGIN_API_VERSION,',
        '  kinds: {',
        "    typed: defineKind({ role: 'transport', options: z.strictObject({ url: z.string() }), module: (options) => new ContainerModule(({ bind }) => { bind(TOKENS.KindOptions).toConstantValue(options.url); }) }),",
        '  },',
        '});',
        'export type Transport = DeviceTransport;',
      ].join('\n'),
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', lib: ['ES2023'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: app }).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('');
  });

  it.concurrent('publishes declarations that import only relative files, node: builtins and public entries of declared packages', async ({ expect }) => {
    const installed = join(app, 'node_modules', 'amora-sync');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as PackageManifest;
    const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const offending: string[] = [];
    for (const file of (await readdir(join(installed, 'dist'), { recursive: true })).filter((name) => name.endsWith('.d.ts'))) {
      for (const specifier of importedModules(await readFile(join(installed, 'dist', file), 'utf8'))) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const { name, subpath } = splitSpecifier(specifier);
        // Our own subpaths resolve through our exports; another package's must be one of its public entries.
        const allowed = declared.has(name) && (name === manifest.name || (await isPublicEntry(name, subpath)));
        if (!allowed) offending.push(`dist/${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it.concurrent('ships no build-time script, compiled spec or test helper that the shipped code does not import', async ({ expect }) => {
    const installed = join(app, 'node_modules', 'amora-sync');
    const files = (await readdir(installed, { recursive: true })).map((file) => file.replaceAll('\\', '/')).filter((file) => !file.startsWith('node_modules/'));
    // dist/cli/build runs in `npm run build`, dist/cli/docs in `npm run docs:schemas`: the repository's, not a user's.
    expect(files.filter((file) => /^dist\/cli\/(build|docs)(\/|$)/.test(file) || file.includes('.spec.'))).toEqual([]);
    // `amora bench` runs a few test/support helpers (Mosquitto, MPD, Azurite launchers); the rest are the tests' own.
    const imported = new Set<string>();
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      for (const [, specifier] of (await readFile(join(installed, file), 'utf8')).matchAll(RELATIVE_IMPORT)) imported.add(posix.join(posix.dirname(file), specifier!));
    }
    expect(files.filter((file) => file.startsWith('dist/test/support/') && file.endsWith('.js') && !imported.has(file))).toEqual([]);
  });

  it.concurrent.for(['azure-iot-hub', 'aws-iot'])('a %s agent exits 2 naming what to install', async (kind, { expect }) => {
    const config = join(app, `${kind}.yaml`);
    // The kind's module is imported before its options are read: none are needed to see the error.
    await writeFile(config, `device: { id: lean-001 }\nplayer: { kind: virtual }\ntransports:\n  - kind: ${kind}\n`);
    const result = await run(process.execPath, [join(app, 'node_modules', 'amora-sync', 'dist', 'cli', 'main.js'), 'agent', '--config', config], {
      cwd: app,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(installCommand(kind));
  });
});
