import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../telemetry/outbox.js';
import type { Logger } from '../logging/logger.js';
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

describe('FileDeviceStorage on a directory it cannot write', () => {
  it('logs why, keeps the outbox in memory and the agent state working', () => {
    const dir = mkdtempSync(join(tmpdir(), 'amora-state-'));
    try {
      // A file where the directory should be: mkdir and every write fail.
      const blocked = join(dir, 'blocked');
      writeFileSync(blocked, '');
      const errors: string[] = [];
      const logger: Logger = {
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (fields: unknown, message?: string) => void errors.push(message ?? String(fields)),
        child: () => logger,
      };
      const storage = new FileDeviceStorage(join(blocked, 'device'), { logger });
      const outbox = new Outbox<string>({ capacity: 10, store: storage.outbox<string>('mqtt#2') });
      outbox.push('kept in memory');
      expect(outbox.stats()).toEqual({ queued: 1, dropped: 0 });
      const state = new DeviceState(undefined, undefined, storage.versions);
      state.patch({ n: 1 });
      expect(state.version).toBe(1);
      expect(errors.some((message) => message.includes('state directory'))).toBe(true);
      expect(errors.some((message) => message.includes('outbox journal failed'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
