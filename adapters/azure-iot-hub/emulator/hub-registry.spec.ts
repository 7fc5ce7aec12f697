import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubRegistry, type DesiredChange } from './hub-registry.js';

describe('HubRegistry (the emulator registry and twin store)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-azure-registry-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('versions desired and reported separately and notifies desired changes with their $version', async () => {
    const registry = new HubRegistry();
    await registry.load();
    registry.createDevice('d1');
    const changes: DesiredChange[] = [];
    registry.onDesiredChange((change) => changes.push(change));
    const twin = registry.patchTwin('d1', { properties: { desired: { audio: { volume: 5 }, $version: 99 } } });
    expect(twin).toMatchObject({ desired: { audio: { volume: 5 } }, desiredVersion: 2, reportedVersion: 1 });
    expect(changes).toEqual([{ deviceId: 'd1', patch: { audio: { volume: 5 } }, version: 2 }]);
    expect(registry.patchReported('d1', { audio: { volume: 5 } })).toBe(2);
    expect(registry.patchReported('d1', { audio: null })).toBe(3);
    expect(registry.requireDevice('d1').twin.reported).toEqual({});
  });

  it('checks If-Match against the etag, which every change renews', async () => {
    const registry = new HubRegistry();
    await registry.load();
    const { twin } = registry.createDevice('d1');
    const updated = registry.patchTwin('d1', { tags: { room: 'kitchen' } }, `"${twin.etag}"`);
    expect(updated.etag).not.toBe(twin.etag);
    expect(() => registry.patchTwin('d1', { tags: { room: 'hall' } }, twin.etag)).toThrow(expect.objectContaining({ status: 412 }));
    expect(() => registry.patchTwin('d1', { tags: { room: 'hall' } }, '*')).not.toThrow();
  });

  it('refuses twin sections IoT Hub refuses, and unknown or duplicate devices', async () => {
    const registry = new HubRegistry();
    await registry.load();
    registry.createDevice('d1');
    expect(() => registry.patchReported('d1', { blob: 'x'.repeat(33 * 1024) })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => registry.patchTwin('d1', { properties: { desired: { 'a.b': 1 } } })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => registry.createDevice('d1')).toThrow(expect.objectContaining({ status: 409 }));
    expect(() => registry.requireDevice('nobody')).toThrow(expect.objectContaining({ status: 404 }));
  });

  it('keeps devices, keys, policies and twins in its state file', async () => {
    const file = join(dir, 'state.json');
    const registry = new HubRegistry(file);
    await registry.load();
    const device = registry.createDevice('kept');
    registry.patchReported('kept', { audio: { volume: 9 } });
    await registry.flush();

    const reloaded = new HubRegistry(file);
    await reloaded.load();
    expect(reloaded.getDevice('kept')).toEqual(registry.getDevice('kept'));
    expect(reloaded.getDevice('kept')?.authentication).toEqual(device.authentication);
    expect(reloaded.policy('iothubowner')).toEqual(registry.policy('iothubowner'));
  });
});
