import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What one earlier sync wrote: the source path and version of each local file. */
export interface SyncedFile {
  readonly source_path: string;
  readonly version: string;
  readonly size: number;
}

/** Local target (`music/<path>` or `playlists/<name>`) → what was written there. */
export type SyncedFiles = Readonly<Record<string, SyncedFile>>;

/** Hidden, so MPD never lists it; beside the music it describes. */
export const SYNCED_FILES_NAME = '.amora-content-sync.json';

/**
 * The small record of what content sync wrote, so the next sync downloads only what changed and
 * deletes only files it wrote itself (never a file the user put there). Written to a temp file
 * and renamed, so a crash leaves the old record or the new one.
 */
export async function readSyncedFiles(storagePath: string): Promise<SyncedFiles> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(storagePath, SYNCED_FILES_NAME), 'utf8'));
    const files = typeof parsed === 'object' && parsed !== null ? (parsed as { files?: unknown }).files : undefined;
    return typeof files === 'object' && files !== null ? (files as SyncedFiles) : {};
  } catch {
    // Missing or unreadable: everything counts as changed, which is slow but right.
    return {};
  }
}

export async function writeSyncedFiles(storagePath: string, files: SyncedFiles): Promise<void> {
  const path = join(storagePath, SYNCED_FILES_NAME);
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify({ version: 1, files }, null, 1)}\n`);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
