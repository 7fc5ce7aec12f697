import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceState } from './device-state.js';
import { FileDeviceStorage } from './file-device-storage.node.js';
import { VERSION_LEASE } from './version-store.js';

describe('FileDeviceStorage versions', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'amora-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = () => new DeviceState(undefined, undefined, new FileDeviceStorage(join(dir, 'device')).versions);

  it('starts every run above every version an earlier run can have published', () => {
    const first = run();
    expect(first.version).toBe(0);
    for (let i = 1; i <= 18; i++) first.patch({ n: i });
    expect(first.version).toBe(18);
    // Killed here (no stop): the next run must still order after version 18.
    const second = run();
    expect(second.version).toBeGreaterThan(18);
    second.patch({ n: 1 });
    const third = run();
    expect(third.version).toBeGreaterThan(second.version);
  });

  it('records a new ceiling before a version passes the old one', () => {
    const first = run();
    for (let i = 1; i <= VERSION_LEASE + 5; i++) first.patch({ n: i });
    const second = run();
    expect(second.version).toBeGreaterThan(VERSION_LEASE + 5);
  });

  it('starts over (and says so) when the saved version is unreadable', () => {
    run().patch({ n: 1 });
    writeFileSync(join(dir, 'device', 'version.json'), 'garbage');
    expect(run().version).toBe(0);
  });
});
