import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../logging/logger.js';
import { FileOutboxStore, type FileOutboxStoreOptions } from '../telemetry/file-outbox-store.node.js';
import type { OutboxStore } from '../telemetry/outbox-store.js';
import type { DeviceStorage } from './device-storage.js';
import type { VersionStore } from './version-store.js';

export interface FileDeviceStorageOptions {
  readonly logger?: Logger;
}

/**
 * A device's state directory: `version.json` (the leased version ceiling) and one
 * `outbox-<instance>.jsonl` journal per transport. The directory is created when missing; a
 * directory that cannot be written costs persistence (logged), never the running agent.
 */
export class FileDeviceStorage implements DeviceStorage {
  readonly versions: VersionStore;
  private readonly logger: Logger;
  private readonly outboxes = new Map<string, FileOutboxStore<unknown>>();

  constructor(
    readonly dir: string,
    options: FileDeviceStorageOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      this.logger.error({ dir, err: String(error) }, 'cannot create the state directory; nothing will survive a restart');
    }
    this.versions = new FileVersionStore(join(dir, 'version.json'), this.logger);
  }

  outbox<T>(instanceId: string): OutboxStore<T> {
    let store = this.outboxes.get(instanceId);
    if (!store) {
      const options: FileOutboxStoreOptions = { logger: this.logger.child({ outbox: instanceId }) };
      // Instance ids are plugin kind names, perhaps with "#2": keep the file name portable.
      store = new FileOutboxStore(join(this.dir, `outbox-${instanceId.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`), options);
      this.outboxes.set(instanceId, store);
    }
    return store as OutboxStore<T>;
  }

  /** Closes the outbox journals. */
  close(): void {
    for (const store of this.outboxes.values()) store.close();
  }
}

/** The version ceiling in a small JSON file, replaced atomically (temp file, fsync, rename, fsync of the directory). */
class FileVersionStore implements VersionStore {
  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  load(): number {
    try {
      const value = (JSON.parse(readFileSync(this.path, 'utf8')) as { ceiling?: unknown }).ceiling;
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.error({ path: this.path, err: String(error) }, 'cannot read the saved state version; versions start over');
      }
      return 0;
    }
  }

  save(ceiling: number): void {
    const temp = `${this.path}.tmp`;
    try {
      const fd = openSync(temp, 'w');
      try {
        writeSync(fd, `${JSON.stringify({ ceiling })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, this.path);
      syncDirectory(join(this.path, '..'));
    } catch (error) {
      this.logger.error({ path: this.path, err: String(error) }, 'cannot save the state version; after a restart versions may repeat');
    }
  }
}

/** Makes a rename durable: the directory entry is data of the directory. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
