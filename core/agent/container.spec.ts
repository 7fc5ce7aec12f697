import { ContainerModule } from 'inversify';
import { firstValueFrom } from 'rxjs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakePlayer, InMemoryTransport } from '../../test/support/agent-doubles.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { loadConfigFile } from '../config/load-file.js';
import { parseConfig } from '../config/parse.js';
import { PluginLoadError } from '../errors.js';
import { PluginRegistry } from '../plugins/loader.js';
import { defineKind, definePlugin } from '../plugins/plugin.js';
import { TOKENS } from '../plugins/tokens.js';
import type { DeviceProfile } from './device-profile.js';
import { buildAgent, buildController, instanceIds } from './container.js';

const built: { transports: InMemoryTransport[]; players: FakePlayer[]; options: unknown[] } = { transports: [], players: [], options: [] };

const testPlugin = definePlugin({
  name: 'test-kinds',
  apiVersion: 1,
  kinds: {
    memory: defineKind({
      role: 'transport',
      options: z.strictObject({ topic: z.string().default('amora'), tls: z.strictObject({ ca: z.string() }).optional() }),
      paths: ['tls.ca'],
      module: (options) =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.DeviceTransport).toDynamicValue((context) => {
            const transport = new InMemoryTransport(context.get<string>(TOKENS.InstanceId));
            built.transports.push(transport);
            built.options.push({ ...options, deviceId: context.get(TOKENS.DeviceId) });
            return transport;
          });
          bind(TOKENS.ControllerTransport).toDynamicValue((context) => ({ id: `controller ${context.get<string>(TOKENS.InstanceId)}`, options }));
        }),
    }),
    virtual: defineKind({
      role: 'player',
      options: z.strictObject({ name: z.string().default('virtual') }),
      module: (options) =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.PlayerAdapter).toDynamicValue(() => {
            const player = new FakePlayer(options.name);
            built.players.push(player);
            return player;
          });
        }),
    }),
    headset: defineKind({
      role: 'middleware',
      options: z.strictObject({}),
      module: () =>
        new ContainerModule(({ bind }) => {
          bind(TOKENS.DeviceProfile).toConstantValue({ name: 'headset', commands: [] } satisfies DeviceProfile);
        }),
    }),
  },
});

function registry(): PluginRegistry {
  const plugins = new PluginRegistry();
  plugins.registerLazy('memory', async () => testPlugin);
  plugins.registerLazy('virtual', async () => testPlugin);
  plugins.registerLazy('headset', async () => testPlugin);
  return plugins;
}

describe('buildAgent', () => {
  it('instantiates the default player and every transport with unique instance ids', async () => {
    built.transports.length = 0;
    built.options.length = 0;
    const config = parseConfig({
      device: { id: 'player-009' },
      transports: [{ kind: 'memory' }, { kind: 'memory', topic: 'site-b' }],
    });
    const agent = await buildAgent(config, registry(), { version: '9.9.9' });
    expect(built.transports.map((t) => t.id)).toEqual(['memory', 'memory#2']);
    expect(built.options).toEqual([
      { topic: 'amora', deviceId: 'player-009' },
      { topic: 'site-b', deviceId: 'player-009' },
    ]);
    await agent.start();
    expect(built.transports[1]?.lastState).toMatchObject({ audio: { volume: 50 }, system: { version: '9.9.9' } });
    const health = await firstValueFrom(agent.health$);
    expect(Object.keys(health.components)).toEqual(['virtual', 'memory', 'memory#2']);
    await agent.stop();
  });

  it('passes commands.dedupeMax to the dispatcher: an answer pushed out of the cache runs again', async () => {
    built.players.length = 0;
    const config = parseConfig({ device: { id: 'a' }, transports: [{ kind: 'memory' }], commands: { dedupeMax: 1 } });
    const agent = await buildAgent(config, registry());
    await agent.start();
    await agent.execute('setVolume', { volume: 10 }, 'first');
    await agent.execute('setVolume', { volume: 10 }, 'first');
    await agent.execute('setVolume', { volume: 20 }, 'second');
    await agent.execute('setVolume', { volume: 10 }, 'first');
    await agent.stop();
    expect(built.players.at(-1)?.calls.filter((call) => call.startsWith('setVolume'))).toEqual(['setVolume 10', 'setVolume 20', 'setVolume 10']);
  });

  it('refuses a kind configured in the wrong role', async () => {
    const config = parseConfig({ device: { id: 'a' }, player: { kind: 'memory' }, transports: [{ kind: 'memory' }] });
    const error = await buildAgent(config, registry()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toBe('plugin "test-kinds" kind "memory": kind is a transport, but is configured as a player');
  });

  it('names the plugin, kind and key of bad options', async () => {
    const config = parseConfig({ device: { id: 'a' }, transports: [{ kind: 'memory', topics: 'x' }] });
    await expect(buildAgent(config, registry())).rejects.toThrow('plugin "test-kinds" kind "memory": invalid options: topics: unknown key "topics"');
  });

  it('takes a non-player profile from a plugin kind of that name, without a default player', async () => {
    built.players.length = 0;
    const config = parseConfig({ device: { id: 'anc-1', profile: 'headset' }, transports: [{ kind: 'memory' }] });
    const agent = await buildAgent(config, registry(), { clock: { now: () => 0, setTimeout: () => ({ cancel: () => undefined }) } });
    expect(built.players).toEqual([]);
    await agent.start();
    expect(agent.state.snapshot.state).toEqual({ system: { version: '0.0.0', boot_time: expect.any(Number), uptime: 0 } });
    await agent.stop();
  });

  it('loads the plugins listed in the config relative to its directory', async () => {
    const config = parseConfig(
      { device: { id: 'a' }, plugins: ['./fixtures/greeter-plugin.js'], transports: [{ kind: 'memory' }] },
      { baseDir: new URL('../plugins/', import.meta.url).href },
    );
    const plugins = registry();
    await buildAgent(config, plugins);
    expect(plugins.kindNames).toContain('greeter');
  });
});

describe('rateLimit on a transport entry', () => {
  it('delays that transport\'s telemetry beyond the rate and leaves the others alone; the kind never sees the key', async () => {
    built.transports.length = 0;
    built.options.length = 0;
    const clock = new ManualClock(0);
    const config = parseConfig({
      device: { id: 'a' },
      transports: [{ kind: 'memory', rateLimit: { perSecond: '10', burst: 1 } }, { kind: 'memory' }],
      telemetry: { batchSize: 1 },
      system: { enabled: false },
    });
    const agent = await buildAgent(config, registry(), { clock });
    expect(built.options).toEqual([
      { topic: 'amora', deviceId: 'a' },
      { topic: 'amora', deviceId: 'a' },
    ]);
    await agent.start();
    const [limited, free] = built.transports;
    for (const n of [1, 2, 3]) agent.emitTelemetry('metrics', { n });
    expect(free?.telemetry.map((batch) => batch.records[0]?.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(limited?.telemetry.map((batch) => batch.records[0]?.data)).toEqual([{ n: 1 }]);
    clock.advance(100);
    expect(limited?.telemetry.map((batch) => batch.records[0]?.data)).toEqual([{ n: 1 }, { n: 2 }]);
    clock.advance(100);
    expect(limited?.telemetry.map((batch) => batch.records[0]?.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await agent.stop();
  });

  it('is validated by core: the entry names the bad key', () => {
    expect(() => parseConfig({ device: { id: 'a' }, transports: [{ kind: 'memory', rateLimit: { perSecond: 0 } }] })).toThrow('transports[0].rateLimit.perSecond');
    expect(() => parseConfig({ device: { id: 'a' }, transports: [{ kind: 'memory', rateLimit: { perSecond: 5, maxqueued: 1 } }] })).toThrow(
      'transports[0].rateLimit.maxqueued: unknown key "maxqueued"',
    );
  });

  it('is taken out of the options of the controller side too', async () => {
    const config = parseConfig({ device: { id: 'cli' }, transports: [{ kind: 'memory', rateLimit: { perSecond: 5 } }] });
    expect(await buildController(config, registry())).toEqual({ id: 'controller memory', options: { topic: 'amora' } });
  });
});

describe('file paths in kind options', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-paths-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves the paths a kind declares against the config file\'s directory, not the working directory', async () => {
    const file = join(dir, 'agent.yaml');
    await writeFile(file, 'device: { id: a }\ntransports:\n  - { kind: memory, tls: { ca: ./certs/ca.pem } }\n  - { kind: memory, tls: { ca: /abs/ca.pem } }\n');
    expect(process.cwd()).not.toBe(dir);
    const config = await loadConfigFile(file, {});
    built.options.length = 0;
    await buildAgent(config, registry());
    expect(built.options).toEqual([
      { topic: 'amora', tls: { ca: join(dir, 'certs', 'ca.pem') }, deviceId: 'a' },
      { topic: 'amora', tls: { ca: '/abs/ca.pem' }, deviceId: 'a' },
    ]);
    expect(await buildController(config, registry())).toMatchObject({ options: { tls: { ca: join(dir, 'certs', 'ca.pem') } } });
    // The config itself is left as written.
    expect(config.transports[0]).toEqual({ kind: 'memory', tls: { ca: './certs/ca.pem' } });
  });

  it('leaves paths as written for a config without a directory (built in code)', async () => {
    built.options.length = 0;
    await buildAgent(parseConfig({ device: { id: 'a' }, transports: [{ kind: 'memory', tls: { ca: 'ca.pem' } }] }), registry());
    expect(built.options).toEqual([{ topic: 'amora', tls: { ca: 'ca.pem' }, deviceId: 'a' }]);
  });
});

describe('buildController', () => {
  it('builds the controller side of the chosen transport entry', async () => {
    const config = parseConfig({ device: { id: 'cli' }, transports: [{ kind: 'memory' }, { kind: 'memory', topic: 'b' }] });
    expect(await buildController(config, registry(), { transportIndex: 1 })).toEqual({ id: 'controller memory#2', options: { topic: 'b' } });
    await expect(buildController(config, registry(), { transportIndex: 5 })).rejects.toThrow('transports[5] does not exist');
  });
});

describe('instanceIds', () => {
  it('numbers repeated kinds', () => {
    expect(instanceIds([{ kind: 'mqtt' }, { kind: 'azure-iot-hub' }, { kind: 'mqtt' }, { kind: 'mqtt' }])).toEqual([
      'mqtt',
      'azure-iot-hub',
      'mqtt#2',
      'mqtt#3',
    ]);
  });
});
