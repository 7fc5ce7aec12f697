import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Container } from 'inversify';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import {
  buildAgent,
  buildController,
  defineCommand,
  ExponentialBackoffRetryPolicy,
  parseConfig,
  PluginRegistry,
  TOKENS,
  type ConnectionStatus,
  type ControllerTransport,
  type DesiredUpdate,
  type DeviceTransport,
  type RetryPolicy,
} from '../../core/index.js';
import { startWsHub, type WsHubServer } from './hub-server.js';
import type { WsHubOptionsInput } from './options.js';
import wsHubPlugin from './plugin.js';

/** The default policy, counting how often it was asked for a wait (i.e. a retry was scheduled). */
class CountingRetryPolicy implements RetryPolicy {
  scheduled = 0;
  private readonly inner = new ExponentialBackoffRetryPolicy({ initialMs: 20, maxMs: 100 });
  shouldRetry(error: unknown): boolean {
    return this.inner.shouldRetry(error);
  }
  nextRetryTimeout(attempt: number, throttled: boolean): number {
    this.scheduled++;
    return this.inner.nextRetryTimeout(attempt, throttled);
  }
}

const TOKEN = 'site-token';
let hub: WsHubServer;
const started: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  hub = await startWsHub({ port: 0, token: TOKEN });
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((part) => part.stop()));
});

afterAll(async () => {
  await hub.close();
});

function build<T>(token: symbol, deviceId: string, options: WsHubOptionsInput = {}, retryPolicy?: RetryPolicy): T {
  const registry = new PluginRegistry();
  registry.register(wsHubPlugin);
  const root = new Container();
  root.bind(TOKENS.DeviceId).toConstantValue(deviceId);
  if (retryPolicy) root.bind(TOKENS.RetryPolicy).toConstantValue(retryPolicy);
  return registry.instantiate<T>(root, 'ws-hub', { url: hub.url, token: TOKEN, ...options }, token, 'ws-hub');
}

async function start<T extends DeviceTransport | ControllerTransport>(transport: T): Promise<T> {
  started.push(transport);
  await transport.start(new AbortController().signal);
  return transport;
}

function until<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate)));
}

describe('ws-hub', () => {
  it('refuses a wrong token with authentication_failed and never retries it', async () => {
    const policy = new CountingRetryPolicy();
    const device = build<DeviceTransport>(TOKENS.DeviceTransport, 'intruder', { token: 'wrong' }, policy);
    await start(device);
    const status: ConnectionStatus = await until(device.status$, (s) => s.state === 'offline' && s.error !== undefined);
    expect(status.error).toEqual({ code: 'authentication_failed', message: 'the hub refused the token' });
    expect(JSON.stringify(status)).not.toContain('wrong');
    expect(policy.scheduled).toBe(0);
  });

  it('keeps desired state for a device that is away and hands it over at its welcome', async () => {
    const controller = await start(build<ControllerTransport>(TOKENS.ControllerTransport, 'unused'));
    await controller.setDesired('desk-1', { anc: { mode: 'on' } });
    await controller.setDesired('desk-1', { anc: { level: 3 } });
    const device = build<DeviceTransport>(TOKENS.DeviceTransport, 'desk-1');
    const updates: DesiredUpdate[] = [];
    device.desired$.subscribe((update) => updates.push(update));
    await start(device);
    expect(updates).toEqual([{ patch: { anc: { mode: 'on', level: 3 } }, full: true }]);
    // While connected, patches go straight through.
    const next = until(device.desired$, () => true);
    await controller.setDesired('desk-1', { anc: { level: null } });
    expect(await next).toEqual({ patch: { anc: { level: null } } });
  });

  it('lets a second connection with the same device id take over; the first stops instead of fighting back', async () => {
    const controller = await start(build<ControllerTransport>(TOKENS.ControllerTransport, 'unused'));
    const policy = new CountingRetryPolicy();
    const first = await start(build<DeviceTransport>(TOKENS.DeviceTransport, 'twin', {}, policy));
    await until(controller.connection$('twin'), (p) => p === 'online');
    const presence: string[] = [];
    controller.connection$('twin').subscribe((p) => presence.push(p));
    await start(build<DeviceTransport>(TOKENS.DeviceTransport, 'twin'));
    const status = await until(first.status$, (s) => s.state === 'offline' && s.error !== undefined);
    expect(status.error?.code).toBe('conflict');
    expect(policy.scheduled).toBe(0);
    expect(presence).toEqual(['online', 'offline', 'online']);
  });

  it('notices a hub that stopped answering (a silently dead connection) and reconnects', async () => {
    // A hub that welcomes but never answers pings, as a peer behind a dropped network would not.
    const mute = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise((resolve) => mute.once('listening', resolve));
    mute.on('connection', (socket) => socket.once('message', () => socket.send(JSON.stringify({ type: 'welcome' }))));
    try {
      const url = `ws://127.0.0.1:${(mute.address() as AddressInfo).port}`;
      const device = await start(build<DeviceTransport>(TOKENS.DeviceTransport, 'quiet', { url, keepaliveSeconds: 0.05, retry: { initialMs: 10, maxMs: 20 } }));
      const lost = await until(device.status$, (s) => s.state === 'offline');
      expect(lost.error).toMatchObject({ code: 'timeout', message: 'the hub did not answer a ping within 50 ms' });
      await until(device.status$, (s) => s.state === 'online');
    } finally {
      await Promise.all(started.splice(0).map((part) => part.stop()));
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('is registered from a config by `plugins:` and built by buildAgent and buildController', async () => {
    const config = parseConfig(
      {
        device: { id: 'cfg-1', profile: 'echo' },
        plugins: ['./plugin.js'],
        transports: [{ kind: 'ws-hub', url: '${HUB_URL}', token: '${HUB_TOKEN}' }],
      },
      { env: { HUB_URL: hub.url, HUB_TOKEN: TOKEN }, baseDir: dirname(fileURLToPath(import.meta.url)) },
    );
    // vitest resolves ./plugin.js to plugin.ts here; after `npm run build` Node imports dist/plugins/template/plugin.js.
    const registry = new PluginRegistry();
    const profile = {
      name: 'echo',
      commands: [defineCommand({ name: 'echo', description: 'answers its text', params: z.strictObject({ text: z.string() }), handler: ({ text }) => ({ text }) })],
    };
    const agent = await buildAgent(config, registry, { profile });
    started.push(agent);
    await agent.start();
    const controller = await start(await buildController(config, registry));
    await until(controller.connection$('cfg-1'), (p) => p === 'online');
    expect(await controller.invoke('cfg-1', 'echo', { text: 'hi' })).toMatchObject({ success: true, result: { text: 'hi' } });
    expect((await controller.getState('cfg-1'))?.state).toMatchObject({ system: { version: '0.0.0' } });
  });

  it('moves to a standby hub (urls) when its hub goes away, naming the active one in its status', async () => {
    const [primary, standby] = await Promise.all([startWsHub({ port: 0, token: TOKEN }), startWsHub({ port: 0, token: TOKEN })]);
    try {
      const options = { urls: [primary.url, standby.url], retry: { initialMs: 10, maxMs: 20 } };
      const device = await start(build<DeviceTransport>(TOKENS.DeviceTransport, 'standby-ws', options));
      await until(device.status$, (s) => s.state === 'online' && s.endpoint === primary.url);
      const controller = await start(build<ControllerTransport>(TOKENS.ControllerTransport, 'unused', { url: standby.url }));
      await primary.close();
      expect((await until(device.status$, (s) => s.state === 'online' && s.endpoint === standby.url)).endpoint).toBe(standby.url);
      expect(await until(controller.connection$('standby-ws'), (p) => p === 'online')).toBe('online');
    } finally {
      await Promise.all(started.splice(0).map((part) => part.stop()));
      await Promise.all([primary.close(), standby.close()]);
    }
  });
});
