import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from './load-file.js';

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads YAML with interpolation and records the directory', async () => {
    const file = join(dir, 'agent.yaml');
    await writeFile(file, 'device: { id: player-001 }\ntransports:\n  - kind: mqtt\n    url: ${URL:-mqtt://localhost:1883}\n');
    const config = await loadConfigFile(file, {});
    expect(config.transports[0]).toEqual({ kind: 'mqtt', url: 'mqtt://localhost:1883' });
    expect(config.baseDir).toBe(dir);
  });

  it('loads an AmoraOS config.json', async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ device: { device_id: 'amora-1' }, dev_mode: true, broker: { host: 'localhost', port: 1883 } }));
    const config = await loadConfigFile(file, {});
    expect(config.player).toEqual({ kind: 'virtual' });
  });

  it('loads a .json file YAML reads but JSON.parse does not (a comment, a trailing comma)', async () => {
    const file = join(dir, 'commented.json');
    await writeFile(file, '{ "device": { "id": "player-002" }, # the broker\n "transports": [{ "kind": "mqtt", "url": "mqtt://localhost:1883" },] }\n');
    const config = await loadConfigFile(file, {});
    expect(config.device.id).toBe('player-002');
    await writeFile(file, '{ "device": { "id": "player-002" }\n');
    await expect(loadConfigFile(file, {})).rejects.toThrow(/commented\.json: not valid JSON at line \d+/);
  });

  it('keeps the last value of a key a .json file gives twice, as JSON.parse does (YAML would refuse it)', async () => {
    const file = join(dir, 'twice.json');
    await writeFile(file, '{ "device": { "id": "first", "id": "second" }, "transports": [{ "kind": "mqtt", "url": "mqtt://localhost:1883" }] }\n');
    expect((await loadConfigFile(file, {})).device.id).toBe('second');
  });

  it('names the file in every error and never quotes its content', async () => {
    await expect(loadConfigFile(join(dir, 'missing.yaml'), {})).rejects.toThrow(/missing\.yaml: file not found/);
    await expect(loadConfigFile(join(dir, 'agent.toml'), {})).rejects.toThrow(/agent\.toml: unsupported config file extension/);
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'device: { id: a\npassword: hunter2: x\n');
    const error = await loadConfigFile(broken, {}).then(
      () => new Error('expected a failure'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/broken\.yaml: not valid YAML at line \d+/);
    expect(error.message).not.toContain('hunter2');
    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'device: { id: a }\ntransports: []\n');
    await expect(loadConfigFile(invalid, {})).rejects.toThrow(/invalid\.yaml: invalid configuration: transports: expected at least one transport/);
  });
});
