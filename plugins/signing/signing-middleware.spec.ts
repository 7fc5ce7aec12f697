import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { MiddlewareRefusal, type CommandResponse, type JsonObject } from '../../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { signingOptionsSchema, type SigningOptions } from './options.js';
import { SIGNATURE_KEY, SigningMiddleware } from './signing-middleware.js';

const SECRET_1 = 'first-shared-secret-of-32-characters!!';
const SECRET_2 = 'second-shared-secret-of-32-characters!';
const AES_KEY = Buffer.alloc(32, 7).toString('base64');

function middleware(options: Record<string, unknown>, clock = new ManualClock(1_700_000_000_000)): SigningMiddleware {
  return new SigningMiddleware(signingOptionsSchema.parse(options) as SigningOptions, 'signing', clock);
}

const command = (params: JsonObject, commandId = 'c-1') => ({ deviceId: 'player-001', command: 'setVolume', commandId, params });

describe('signing middleware', () => {
  it('passes a signed command to the handler without its signature', async () => {
    const controller = middleware({ signingKey: { kid: 'k1', key: SECRET_1 } });
    const device = middleware({ signingKey: { kid: 'k1', key: SECRET_1 } });
    const sealed = await controller.sealCommand(command({ volume: 40 }));
    expect(typeof sealed[SIGNATURE_KEY]).toBe('string');
    await expect(device.openCommand(command(sealed))).resolves.toEqual({ volume: 40 });
  });

  it.each([
    ['changed params', (sealed: JsonObject) => command({ ...sealed, volume: 100 })],
    ['another command', (sealed: JsonObject) => ({ ...command(sealed), command: 'reboot' })],
    ['another device', (sealed: JsonObject) => ({ ...command(sealed), deviceId: 'player-002' })],
    ['another command id', (sealed: JsonObject) => command(sealed, 'c-2')],
    ['no signature', (sealed: JsonObject) => command({ volume: sealed['volume']! })],
  ])('refuses a command with %s', async (_what, tamper) => {
    const key = { signingKey: { kid: 'k1', key: SECRET_1 } };
    const sealed = await middleware(key).sealCommand(command({ volume: 40 }));
    await expect(middleware(key).openCommand(tamper(sealed))).rejects.toBeInstanceOf(MiddlewareRefusal);
  });

  it('refuses a replay, and an expired command, but takes a re-signed retry of the same id', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const key = { signingKey: { kid: 'k1', key: SECRET_1 }, commandTtlMs: 10_000, maxSkewMs: 1_000 };
    const controller = middleware(key, clock);
    const device = middleware(key, clock);
    const sealed = await controller.sealCommand(command({ volume: 40 }));
    await device.openCommand(command(sealed));
    await expect(device.openCommand(command(sealed))).rejects.toThrow('command replayed');
    clock.advance(1_000);
    await expect(device.openCommand(command(await controller.sealCommand(command({ volume: 40 }))))).resolves.toEqual({ volume: 40 });
    const late = await controller.sealCommand(command({ volume: 41 }, 'c-3'));
    clock.advance(12_000);
    await expect(device.openCommand(command(late, 'c-3'))).rejects.toThrow('command expired');
  });

  it('refuses a command signed beyond the clock-skew window in the future', async () => {
    const future = new ManualClock(1_700_000_000_000 + 120_000);
    const sealed = await middleware({ signingKey: { kid: 'k1', key: SECRET_1 } }, future).sealCommand(command({}));
    await expect(middleware({ signingKey: { kid: 'k1', key: SECRET_1 } }).openCommand(command(sealed))).rejects.toThrow(/future/);
  });

  it('rotates keys: a device that accepts the old and the new kid takes both, then only the new', async () => {
    const oldController = middleware({ signingKey: { kid: 'k1', key: SECRET_1 } });
    const newController = middleware({ signingKey: { kid: 'k2', key: SECRET_2 } });
    const during = middleware({ signingKey: { kid: 'k2', key: SECRET_2 }, verificationKeys: [{ kid: 'k1', key: SECRET_1 }] });
    const after = middleware({ signingKey: { kid: 'k2', key: SECRET_2 } });
    await expect(during.openCommand(command(await oldController.sealCommand(command({ volume: 1 }))))).resolves.toEqual({ volume: 1 });
    await expect(during.openCommand(command(await newController.sealCommand(command({ volume: 2 }))))).resolves.toEqual({ volume: 2 });
    await expect(after.openCommand(command(await oldController.sealCommand(command({ volume: 3 }))))).rejects.toThrow(/unknown key id "k1"/);
  });

  it('signs with ES256 so a device never holds a key that can command', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const controller = middleware({ signingKey: { kid: 'ctl', alg: 'ES256', key: await exportPKCS8(privateKey) } });
    const device = middleware({ signingKey: { kid: 'dev', key: SECRET_1 }, verificationKeys: [{ kid: 'ctl', alg: 'ES256', key: await exportSPKI(publicKey) }] });
    await expect(device.openCommand(command(await controller.sealCommand(command({ volume: 5 }))))).resolves.toEqual({ volume: 5 });
    await expect(controller.openCommand(command(await device.sealCommand(command({ volume: 5 }))))).rejects.toThrow(/unknown key id "dev"/);
  });

  it('encrypts the chosen state sections, signs the result, and opens both at the controller', async () => {
    const options = { signingKey: { kid: 'k1', key: SECRET_1 }, encrypt: { sections: ['playback'], key: AES_KEY } };
    const state = { playback: { status: 'play', current_track: 'Secret Song' }, audio: { volume: 40 } };
    const wire = await middleware(options).sealState('player-001', state);
    expect(JSON.stringify(wire)).not.toContain('Secret Song');
    expect(wire['audio']).toBe(state.audio);
    await expect(middleware(options).openState('player-001', wire)).resolves.toEqual(state);
    await expect(middleware(options).openState('player-002', wire)).rejects.toThrow(/signature does not match/);
    const wrongKey = { ...options, encrypt: { sections: ['playback'], key: Buffer.alloc(32, 9).toString('base64') } };
    await expect(middleware(wrongKey).openState('player-001', wire)).rejects.toThrow(/does not decrypt/);
  });

  it('rotates the encryption key: previousKeys still decrypt the old one', async () => {
    const old = { signingKey: { kid: 'k1', key: SECRET_1 }, encrypt: { sections: ['playback'], key: AES_KEY, kid: 'e1' } };
    const next = Buffer.alloc(32, 8).toString('base64');
    const rotated = { signingKey: { kid: 'k1', key: SECRET_1 }, encrypt: { sections: ['playback'], key: next, kid: 'e2', previousKeys: [{ kid: 'e1', key: AES_KEY }] } };
    const state = { playback: { status: 'play' } };
    await expect(middleware(rotated).openState('d', await middleware(old).sealState('d', state))).resolves.toEqual(state);
    await expect(middleware(rotated).openState('d', await middleware(rotated).sealState('d', state))).resolves.toEqual(state);
    await expect(middleware(old).openState('d', await middleware(rotated).sealState('d', state))).rejects.toThrow(/unknown key id "e2"/);
  });

  it('signs responses, and a changed result is refused', async () => {
    const key = { signingKey: { kid: 'k1', key: SECRET_1 } };
    const response: CommandResponse = { command_id: 'c-1', command: 'status', success: true, result: { volume: 40 }, timestamp: 1 };
    const sealed = await middleware(key).sealResponse('player-001', response);
    await expect(middleware(key).openResponse('player-001', sealed)).resolves.toEqual(response);
    await expect(middleware(key).openResponse('player-001', { ...sealed, result: { volume: 100 } } as CommandResponse)).rejects.toThrow(/does not match/);
  });

  it('signs telemetry records, and the controller refuses a changed, moved, unsigned or non-object one', async () => {
    const key = { signingKey: { kid: 'k1', key: SECRET_1 } };
    const data = { cpu: 12, temperature: 41 };
    const sealed = (await middleware(key).sealTelemetry('player-001', 'metrics', data, 1_000)) as JsonObject;
    await expect(middleware(key).openTelemetry('player-001', 'metrics', sealed, 1_000)).resolves.toEqual(data);
    await expect(middleware(key).openTelemetry('player-001', 'metrics', { ...sealed, cpu: 99 }, 1_000)).rejects.toThrow(/does not match/);
    await expect(middleware(key).openTelemetry('player-001', 'metrics', sealed, 2_000)).rejects.toThrow(/does not match/);
    await expect(middleware(key).openTelemetry('player-002', 'metrics', sealed, 1_000)).rejects.toThrow(/does not match/);
    await expect(middleware(key).openTelemetry('player-001', 'errors', sealed, 1_000)).rejects.toThrow(/does not match/);
    await expect(middleware(key).openTelemetry('player-001', 'metrics', data, 1_000)).rejects.toThrow('telemetry is not signed');
    await expect(middleware(key).openTelemetry('player-001', 'metrics', 42, 1_000)).rejects.toThrow(/only object data/);
    await expect(middleware({ ...key, require: false }).openTelemetry('player-001', 'metrics', 42, 1_000)).resolves.toBe(42);
  });

  it('binds a self-contained message to its own timestamp field, not the record time IoT Hub does not carry', async () => {
    const key = { signingKey: { kid: 'k1', key: SECRET_1 } };
    const message = { messageType: 'playerStatus', deviceId: 'player-001', timestamp: '2026-01-01T00:00:00Z', status: { volume: 40 } };
    const sealed = (await middleware(key).sealTelemetry('player-001', 'playerStatus', message, 1_000)) as JsonObject;
    await expect(middleware(key).openTelemetry('player-001', 'playerStatus', sealed, 5_000)).resolves.toEqual(message);
    await expect(middleware(key).openTelemetry('player-001', 'playerStatus', { ...sealed, timestamp: '2027-01-01T00:00:00Z' }, 1_000)).rejects.toThrow(/does not match/);
  });

  it('encrypts the chosen telemetry keys and opens them at the controller', async () => {
    const options = { signingKey: { kid: 'k1', key: SECRET_1 }, encrypt: { sections: ['playback'], telemetry: ['status'], key: AES_KEY } };
    const message = { messageType: 'playerStatus', deviceId: 'player-001', timestamp: '2026-01-01T00:00:00Z', status: { current_track: 'Secret Song' } };
    const sealed = await middleware(options).sealTelemetry('player-001', 'playerStatus', message, 1_000);
    expect(JSON.stringify(sealed)).not.toContain('Secret Song');
    expect(sealed).toMatchObject({ messageType: 'playerStatus', status: { amora_jwe: expect.any(String) } });
    await expect(middleware(options).openTelemetry('player-001', 'playerStatus', sealed, 1_000)).resolves.toEqual(message);
  });

  it('refuses options with a short HS256 secret', () => {
    expect(signingOptionsSchema.safeParse({ signingKey: { kid: 'k', key: 'short' } }).success).toBe(false);
  });
});
