import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceOutput } from './device-output.js';
import { MigrationState } from './state-file.js';

const run = { from: 'azure' as const, to: 'aws' as const, target: 'us-east-1 localhost:8883' };

describe('MigrationState', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-migrate-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('remembers done steps and their facts across a reopen, and skips them', async () => {
    const path = join(dir, 'state.json');
    const state = await MigrationState.open(path, run);
    await state.step('p1', 'thing', async () => {});
    await state.step('p1', 'certificate', async () => ({ certificateArn: 'arn:aws:iot:us-east-1:1:cert/abc' }));
    const reopened = await MigrationState.open(path, run);
    expect(reopened.done('p1', 'thing')).toBe(true);
    expect(reopened.fact('p1', 'certificateArn')).toBe('arn:aws:iot:us-east-1:1:cert/abc');
    let ran = false;
    await reopened.step('p1', 'thing', async () => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('saves again after a write failed: one full disk does not lose every later step', async () => {
    const folder = join(dir, 'state');
    const path = join(folder, 'state.json');
    const state = await MigrationState.open(path, run);
    await state.step('p1', 'thing', async () => {});
    // The folder replaced by a file: the next write fails, as on a full or read-only disk.
    await rm(folder, { recursive: true });
    await writeFile(folder, 'not a folder');
    await expect(state.step('p2', 'thing', async () => {})).rejects.toThrow(/EEXIST|ENOTDIR/);
    await rm(folder);
    await state.step('p3', 'thing', async () => {});
    const reopened = await MigrationState.open(path, run);
    expect(reopened.done('p1', 'thing')).toBe(true);
    expect(reopened.done('p3', 'thing')).toBe(true);
  });

  it('has every one of many concurrent steps on disk once each has resolved', async () => {
    const path = join(dir, 'state.json');
    const state = await MigrationState.open(path, run);
    const ids = Array.from({ length: 200 }, (_, index) => `p${index}`);
    await Promise.all(ids.map((id) => state.step(id, 'thing', async () => ({ thingArn: `arn:${id}` }))));
    const reopened = await MigrationState.open(path, run);
    expect(ids.filter((id) => !reopened.done(id, 'thing') || reopened.fact(id, 'thingArn') !== `arn:${id}`)).toEqual([]);
  });

  it('does not record a step that failed, and keeps the error until the next success', async () => {
    const state = await MigrationState.open(join(dir, 'state.json'), run);
    await expect(state.step('p1', 'thing', () => Promise.reject(new Error('ThrottlingException')))).rejects.toThrow('ThrottlingException');
    await state.fail('p1', 'ThrottlingException');
    const reopened = await MigrationState.open(join(dir, 'state.json'), run);
    expect(reopened.done('p1', 'thing')).toBe(false);
    expect(reopened.progress('p1')?.error).toBe('ThrottlingException');
    await reopened.step('p1', 'thing', async () => {});
    expect(reopened.progress('p1')?.error).toBeUndefined();
  });

  it('refuses the state file of another migration, or a file that is not one', async () => {
    const path = join(dir, 'state.json');
    await (await MigrationState.open(path, run)).complete('p1', 'thing');
    await expect(MigrationState.open(path, { ...run, target: 'eu-west-1 other' })).rejects.toThrow('belongs to a migration from azure to aws');
    await writeFile(join(dir, 'other.json'), 'not json');
    await expect(MigrationState.open(join(dir, 'other.json'), run)).rejects.toThrow('not a migration state file');
  });
});

describe('DeviceOutput', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-migrate-out-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes secrets readable by the owner only, even over a file that was readable by all', async () => {
    const output = new DeviceOutput(dir, 'p1');
    await output.writePublic('private.pem.key', 'old');
    await output.writeSecret('private.pem.key', 'KEY');
    expect((await stat(join(dir, 'p1', 'private.pem.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'p1'))).mode & 0o777).toBe(0o700);
    expect(await output.read('private.pem.key')).toBe('KEY');
    expect(await output.read('missing')).toBeUndefined();
  });

  it("writes the transport entry with paths where the rollout puts the files on the device", async () => {
    const output = new DeviceOutput(dir, 'p1', '/etc/amora/{device}');
    await output.writeTransport({ kind: 'aws-iot', certPath: output.devicePath('certificate.pem.crt') });
    expect(await readFile(join(dir, 'p1', 'transport.yaml'), 'utf8')).toBe('- kind: aws-iot\n  certPath: /etc/amora/p1/certificate.pem.crt\n');
  });
});
