import { Container } from 'inversify';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  PluginLoadError,
  PluginRegistry,
  TOKENS,
  type ConnectionStatus,
  type ControllerTransport,
  type DeviceTransport,
} from '../../core/index.js';
import wsHubPlugin from './plugin.js';
import { clientFrameSchema, commandBodyOf, commandPayload, encodeFrame, hubFrameSchema, parseFrame, type ClientFrame } from './protocol.js';

function registry(): PluginRegistry {
  const plugins = new PluginRegistry();
  plugins.register(wsHubPlugin);
  return plugins;
}

function root(): Container {
  const container = new Container();
  container.bind(TOKENS.DeviceId).toConstantValue('headset-7');
  return container;
}

function loadError(build: () => unknown): PluginLoadError {
  try {
    build();
  } catch (error) {
    if (error instanceof PluginLoadError) return error;
    throw error;
  }
  throw new Error('expected a PluginLoadError');
}

describe('ws-hub plugin', () => {
  it('is a valid plugin of this core providing the ws-hub transport kind', () => {
    const plugins = registry();
    expect(plugins.kindNames).toContain('ws-hub');
    expect(plugins.resolveKind('ws-hub')).toMatchObject({ plugin: { name: 'amora-ws-hub' }, kind: { role: 'transport' } });
  });

  it('builds both ends in a child container with the instance id, without any I/O', async () => {
    const plugins = registry();
    const device = plugins.instantiate<DeviceTransport>(root(), 'ws-hub', { kind: 'ws-hub', url: 'ws://127.0.0.1:1' }, TOKENS.DeviceTransport, 'ws-hub#2');
    const controller = plugins.instantiate<ControllerTransport>(root(), 'ws-hub', {}, TOKENS.ControllerTransport, 'ws-hub');
    expect(device.id).toBe('ws-hub#2');
    expect(controller.id).toBe('ws-hub');
    expect(device.capabilities).toEqual({ maxPayloadBytes: 262_144, qos: [0], retained: true, desiredState: true });
    const status: ConnectionStatus = await firstValueFrom(device.status$);
    expect(status).toMatchObject({ state: 'offline', outbox: { queued: 0, dropped: 0 } });
  });

  it('applies defaults and reads numbers from strings (as ${VAR} interpolation produces)', () => {
    const options = wsHubPlugin.kinds['ws-hub'].options.parse({ maxPayloadBytes: '1024', retry: { initialMs: '50' }, token: '' });
    expect(options).toEqual({
      url: 'ws://127.0.0.1:8787',
      connectTimeoutMs: 10_000,
      keepaliveSeconds: 30,
      retry: { initialMs: 50, maxMs: 30_000 },
      outboxSize: 1_000,
      maxPayloadBytes: 1_024,
    });
  });

  it('names the bad key and the expected shape in a PluginLoadError', () => {
    const plugins = registry();
    const badUrl = loadError(() => plugins.instantiate(root(), 'ws-hub', { url: 'http://hub' }, TOKENS.DeviceTransport, 'ws-hub'));
    expect(badUrl.message).toBe('plugin "amora-ws-hub" kind "ws-hub": invalid options: url: expected a hub URL such as ws://127.0.0.1:8787 or wss://hub.example');
    const typo = loadError(() => plugins.instantiate(root(), 'ws-hub', { urll: 'ws://hub' }, TOKENS.DeviceTransport, 'ws-hub'));
    expect(typo.message).toContain('urll: unknown key "urll"');
    expect(typo.details).toMatchObject({ path: 'urll' });
  });
});

describe('ws-hub protocol', () => {
  it('parses the frames of each side and nothing else', () => {
    expect(parseFrame(clientFrameSchema, '{"type":"hello","role":"controller"}')).toEqual({ type: 'hello', role: 'controller' });
    expect(parseFrame(clientFrameSchema, '{"type":"hello","role":"device","deviceId":"d1","token":"t"}')).toMatchObject({ deviceId: 'd1' });
    expect(parseFrame(clientFrameSchema, '{"type":"hello","role":"device"}')).toBeUndefined();
    expect(parseFrame(clientFrameSchema, '{"type":"welcome"}')).toBeUndefined();
    expect(parseFrame(hubFrameSchema, '{"type":"welcome","desired":{"anc":{"mode":"on"}}}')).toEqual({ type: 'welcome', desired: { anc: { mode: 'on' } } });
    expect(parseFrame(hubFrameSchema, 'not json')).toBeUndefined();
    expect(parseFrame(hubFrameSchema, new Uint8Array([0xff, 0xfe]))).toBeUndefined();
  });

  it('refuses desired patches with prototype keys', () => {
    expect(parseFrame(clientFrameSchema, '{"type":"desired","deviceId":"d1","patch":{"__proto__":{"x":1}}}')).toBeUndefined();
    expect(parseFrame(clientFrameSchema, '{"type":"desired","deviceId":"d1","patch":{"volume":3}}')).toBeDefined();
  });

  it('carries a command payload that is not text as base64 bytes, unchanged', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    const body = commandBodyOf(bytes);
    expect(body).toEqual({ bytes: '//4AQQ==' });
    expect(commandPayload(body)).toEqual(bytes);
    expect(commandPayload(commandBodyOf('{"command":"x"}'))).toBe('{"command":"x"}');
  });

  it('refuses an oversized frame with payload_too_large, counting UTF-8 bytes', () => {
    const frame: ClientFrame = { type: 'telemetry', kind: 'k', records: [{ data: 'é'.repeat(100), timestamp: 1 }] };
    expect(() => encodeFrame(frame, 150, 'telemetry')).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
    expect(encodeFrame(frame, 300, 'telemetry')).toBe(JSON.stringify(frame));
  });
});
