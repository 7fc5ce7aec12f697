import { Container, ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PluginLoadError } from '../errors.js';
import { PluginRegistry } from './loader.js';
import { definePlugin, defineKind, type AmoraPlugin } from './plugin.js';
import { TOKENS } from './tokens.js';

const Greeting = Symbol.for('amora.test.greeting');

function testPlugin(overrides: Partial<AmoraPlugin> = {}, factory?: () => ContainerModule): AmoraPlugin {
  return definePlugin({
    name: 'test-plugin',
    apiVersion: 1,
    kinds: {
      greeter: defineKind({
        role: 'transport',
        options: z.strictObject({ url: z.url(), retry: z.strictObject({ attempts: z.number().int() }).optional() }),
        module: (options) =>
          factory?.() ??
          new ContainerModule(({ bind }) => {
            bind(Greeting).toDynamicValue((context) => ({
              url: options.url,
              instanceId: context.get<string>(TOKENS.InstanceId),
              logger: context.get<string>(TOKENS.Logger),
            }));
          }),
      }),
    },
    ...overrides,
  });
}

function rootContainer(): Container {
  const root = new Container();
  root.bind(TOKENS.Logger).toConstantValue('root-logger');
  return root;
}

async function failure(run: () => unknown): Promise<PluginLoadError> {
  const error = await Promise.resolve().then(run).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PluginLoadError);
  return error as PluginLoadError;
}

describe('PluginRegistry.register', () => {
  it('refuses another API version', async () => {
    const error = await failure(() => new PluginRegistry().register(testPlugin({ apiVersion: 2 })));
    expect(error.message).toBe('plugin "test-plugin": plugin API version 2 is not supported (this core implements version 1)');
    expect(error.code).toBe('plugin_load_failed');
  });

  it('refuses malformed plugins and kinds', async () => {
    const registry = new PluginRegistry();
    expect((await failure(() => registry.register(undefined, './x.js'))).message).toContain('plugin "./x.js": expected a plugin object');
    expect((await failure(() => registry.register({ apiVersion: 1, kinds: {} }, './x.js'))).message).toContain('has no name');
    expect((await failure(() => registry.register({ name: 'p', apiVersion: 1, kinds: {} }))).message).toContain('declares no kinds');
    const badRole = { name: 'p', apiVersion: 1, kinds: { k: { role: 'engine', options: z.object({}), module: () => undefined } } };
    expect((await failure(() => registry.register(badRole))).message).toBe('plugin "p" kind "k": role must be one of transport, player, middleware');
    const badOptions = { name: 'p', apiVersion: 1, kinds: { k: { role: 'player', options: {}, module: () => undefined } } };
    expect((await failure(() => registry.register(badOptions))).message).toContain('"options" must be a zod schema');
    const badPaths = { name: 'p', apiVersion: 1, kinds: { k: { role: 'player', options: z.object({}), module: () => undefined, paths: 'tls.ca' } } };
    expect((await failure(() => registry.register(badPaths))).message).toContain('"paths" must be a list of option keys');
  });

  it('refuses a kind another plugin already provides, accepts the same plugin twice', async () => {
    const registry = new PluginRegistry();
    registry.register(testPlugin());
    expect(() => registry.register(testPlugin())).not.toThrow();
    const error = await failure(() => registry.register(testPlugin({ name: 'other' })));
    expect(error.message).toBe('plugin "other" kind "greeter": kind is already provided by plugin "test-plugin"');
  });
});

describe('PluginRegistry.resolveKind and instantiate', () => {
  it('lists the known kinds when a kind is missing', async () => {
    const registry = new PluginRegistry();
    registry.register(testPlugin());
    registry.registerLazy('mqtt', async () => testPlugin());
    const error = await failure(() => registry.resolveKind('nats'));
    expect(error.message).toContain('kind "nats": no plugin provides this kind (known kinds: greeter, mqtt;');
    expect(error.details).toEqual({ known: ['greeter', 'mqtt'] });
  });

  it('builds an instance in a child container with options and instance id bound', () => {
    const registry = new PluginRegistry();
    registry.register(testPlugin());
    const instance = registry.instantiate<{ url: string; instanceId: string; logger: string }>(
      rootContainer(),
      'greeter',
      { kind: 'greeter', url: 'mqtt://localhost:1883' },
      Greeting,
      'greeter#2',
    );
    expect(instance).toEqual({ url: 'mqtt://localhost:1883', instanceId: 'greeter#2', logger: 'root-logger' });
  });

  it('names plugin, kind and the bad key path for invalid options', async () => {
    const registry = new PluginRegistry();
    registry.register(testPlugin());
    const error = await failure(() =>
      registry.instantiate(rootContainer(), 'greeter', { kind: 'greeter', url: 'mqtt://x', retry: { attempts: 'many' } }, Greeting, 'g'),
    );
    expect(error.message).toMatch(/^plugin "test-plugin" kind "greeter": invalid options: retry\.attempts: .*expected number/);
    expect(error.details).toMatchObject({ path: 'retry.attempts' });
    const typo = await failure(() => registry.instantiate(rootContainer(), 'greeter', { url: 'mqtt://x', tls: true }, Greeting, 'g'));
    expect(typo.message).toContain('tls: unknown key "tls"');
  });

  it('wraps a throwing module factory, masking credentials in the cause', async () => {
    const registry = new PluginRegistry();
    registry.register(
      testPlugin({}, () => {
        throw new Error('cannot reach mqtt://user:hunter2@broker');
      }),
    );
    const error = await failure(() => registry.instantiate(rootContainer(), 'greeter', { url: 'mqtt://x' }, Greeting, 'greeter'));
    expect(error.message).toBe('plugin "test-plugin" kind "greeter": cannot create instance "greeter": cannot reach mqtt://[redacted]@broker');
    expect((error.cause as Error).message).toContain('hunter2');
  });

  it('wraps a module that does not bind the requested token', async () => {
    const registry = new PluginRegistry();
    registry.register(testPlugin({}, () => new ContainerModule(() => undefined)));
    const error = await failure(() => registry.instantiate(rootContainer(), 'greeter', { url: 'mqtt://x' }, Greeting, 'greeter'));
    expect(error.message).toContain('plugin "test-plugin" kind "greeter": cannot create instance "greeter"');
  });

  it('instantiate refuses an async module and instantiateAsync accepts it', async () => {
    const registry = new PluginRegistry();
    registry.register(
      testPlugin({}, () => new ContainerModule(async ({ bind }) => void bind(Greeting).toConstantValue('async'))),
    );
    const error = await failure(() => registry.instantiate(rootContainer(), 'greeter', { url: 'mqtt://x' }, Greeting, 'g'));
    expect(error.message).toContain('asynchronous module load');
    await expect(registry.instantiateAsync(rootContainer(), 'greeter', { url: 'mqtt://x' }, Greeting, 'g')).resolves.toBe('async');
  });
});

describe('PluginRegistry lazy kinds', () => {
  it('imports a lazy kind once on first use', async () => {
    const registry = new PluginRegistry();
    let imports = 0;
    registry.registerLazy('greeter', async () => {
      imports += 1;
      return testPlugin();
    });
    await expect(failure(() => registry.resolveKind('greeter'))).resolves.toBeInstanceOf(PluginLoadError);
    const [a, b] = await Promise.all([registry.loadKind('greeter'), registry.loadKind('greeter')]);
    expect(a).toBe(b);
    expect(imports).toBe(1);
    expect(registry.resolveKind('greeter').plugin.name).toBe('test-plugin');
  });

  it('an explicitly registered plugin takes over a lazily registered kind', async () => {
    const registry = new PluginRegistry();
    registry.registerLazy('greeter', () => Promise.reject(new Error('never imported')));
    registry.register(testPlugin({ name: 'custom-greeter' }));
    await expect(registry.loadKind('greeter')).resolves.toMatchObject({ plugin: { name: 'custom-greeter' } });
    registry.registerLazy('greeter', () => Promise.reject(new Error('ignored: the kind is loaded')));
    expect(registry.resolveKind('greeter').plugin.name).toBe('custom-greeter');
  });

  it('wraps a failing import and a plugin that lacks the kind', async () => {
    const registry = new PluginRegistry();
    registry.registerLazy('aws-iot', () => Promise.reject(new Error('Cannot find package aws-crt')));
    registry.registerLazy('mpd', async () => testPlugin());
    expect((await failure(() => registry.loadKind('aws-iot'))).message).toBe(
      'plugin "built-in aws-iot" kind "aws-iot": cannot import plugin: Cannot find package aws-crt',
    );
    expect((await failure(() => registry.loadKind('mpd'))).message).toContain('does not provide it');
  });
});

describe('PluginRegistry.loadPlugin', () => {
  const fixtures = new URL('./fixtures/', import.meta.url);

  it('loads a plugin from a path relative to the config directory', async () => {
    const registry = new PluginRegistry();
    const plugin = await registry.loadPlugin('./fixtures/greeter-plugin.js', { baseDir: new URL('.', import.meta.url).pathname });
    expect(plugin.name).toBe('greeter-fixture');
    const instance = registry.instantiate(rootContainer(), 'greeter', { kind: 'greeter', repeat: 2 }, TOKENS.DeviceTransport, 'greeter');
    expect(instance).toEqual({ options: { greeting: 'hello', repeat: 2 }, instanceId: 'greeter' });
  });

  it('loads from a URL base directory too', async () => {
    const registry = new PluginRegistry();
    await expect(registry.loadPlugin('./greeter-plugin.js', { baseDir: fixtures.href })).resolves.toMatchObject({ name: 'greeter-fixture' });
  });

  it('names the specifier when the module cannot be imported or is not a plugin', async () => {
    const registry = new PluginRegistry();
    const missing = await failure(() => registry.loadPlugin('./missing-plugin.js', { baseDir: fixtures.href }));
    expect(missing.message).toMatch(/^plugin "\.\/missing-plugin\.js": cannot import module: /);
    const notPlugin = await failure(() => registry.loadPlugin('./not-a-plugin.js', { baseDir: fixtures.href }));
    expect(notPlugin.message).toBe('plugin "./not-a-plugin.js": plugin has no name (expected a non-empty string "name")');
    const noBase = await failure(() => registry.loadPlugin('./greeter-plugin.js'));
    expect(noBase.message).toContain('needs a base directory');
  });

  it('resolves packages through the injected resolver and imports through the injected importer', async () => {
    const imported: string[] = [];
    const registry = new PluginRegistry({
      resolvePackage: (name, baseDir) => `file://${baseDir}/node_modules/${name}/index.js`,
      importModule: async (specifier) => {
        imported.push(specifier);
        return { default: testPlugin() };
      },
    });
    await registry.loadPlugin('amora-plugin-nats', { baseDir: '/etc/amora' });
    await registry.loadPlugin('amora-plugin-nats');
    expect(imported).toEqual(['file:///etc/amora/node_modules/amora-plugin-nats/index.js', 'amora-plugin-nats']);
  });
});
