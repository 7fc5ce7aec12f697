import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import type { ContentConfig, LibraryChange } from '../core/index.js';
import { downloadAtomically, removeLeftoverParts } from './atomic-download.js';
import type { ContentSource, RemoteFile } from './content-source.js';
import { readSyncedFiles, writeSyncedFiles, type SyncedFile } from './synced-files.js';

/** Progress of one pass, for reported `content.sync`. */
export interface PassProgress {
  readonly files_done: number;
  readonly files_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number;
}

export interface PassResult {
  readonly files_total: number;
  readonly downloaded: number;
  readonly deleted: number;
  readonly bytes: number;
  readonly library: LibraryChange;
}

interface Target {
  /** Key in the synced-files record: `music/<path>` or `playlists/<name>`. */
  readonly key: string;
  readonly file: string;
  readonly remote: RemoteFile;
}

/**
 * One content sync: list the source, download what is new or changed (all with `force`), delete
 * what an earlier sync wrote and the source no longer has, and record what is there now.
 * `.m3u` files go to the playlists folder under their own name, everything else to the music
 * folder under its path. Files are written one at a time, atomically (downloadAtomically); the
 * record is saved after each file, so an interrupted sync resumes where it stopped.
 */
export async function runSyncPass(
  config: ContentConfig,
  source: ContentSource,
  force: boolean,
  onProgress: (progress: PassProgress) => void,
  signal: AbortSignal,
): Promise<PassResult> {
  const music = musicPath(config);
  const playlists = playlistsPath(config);
  await Promise.all([mkdir(music, { recursive: true }), mkdir(playlists, { recursive: true })]);
  await Promise.all([removeLeftoverParts(music), removeLeftoverParts(playlists)]);
  const remote = await source.list(signal);
  const targets = unique(remote.map((file) => targetOf(file, music, playlists)));
  const synced = { ...(await readSyncedFiles(music)) };
  const changed: string[] = [];

  const stale = await filterAsync(targets, async (target) => force || !(await isCurrent(synced[target.key], target)));
  const progress = { files_done: 0, files_total: stale.length, bytes_done: 0, bytes_total: stale.reduce((sum, t) => sum + t.remote.size, 0) };
  onProgress({ ...progress });
  for (const target of stale) {
    signal.throwIfAborted();
    const body = await source.open(target.remote, signal);
    await downloadAtomically(body, target.file, target.remote, (count) => {
      progress.bytes_done += count;
      onProgress({ ...progress });
    }, signal);
    synced[target.key] = { source_path: target.remote.path, version: target.remote.version, size: target.remote.size };
    await writeSyncedFiles(music, synced);
    if (target.key.startsWith('music/')) changed.push(target.key.slice('music/'.length));
    progress.files_done += 1;
    onProgress({ ...progress });
  }

  let deleted = 0;
  if (config.delete_removed) {
    const wanted = new Set(targets.map((target) => target.key));
    for (const key of Object.keys(synced).filter((k) => !wanted.has(k))) {
      signal.throwIfAborted();
      await rm(localFile(key, music, playlists), { force: true });
      delete synced[key];
      deleted += 1;
      if (key.startsWith('music/')) changed.push(key.slice('music/'.length));
      await writeSyncedFiles(music, synced);
    }
  }
  return {
    files_total: targets.length,
    downloaded: stale.length,
    deleted,
    bytes: progress.bytes_done,
    library: { changed, playlists: await readPlaylists(playlists) },
  };
}

/** `content.storage_path` (the schema requires it with a source). */
export function musicPath(config: ContentConfig): string {
  if (config.storage_path === undefined) throw new Error('content.storage_path is not set');
  return config.storage_path;
}

/** `content.playlists_path`, by default the `playlists` folder in the music folder. */
export function playlistsPath(config: ContentConfig): string {
  return config.playlists_path ?? join(musicPath(config), 'playlists');
}

function targetOf(remote: RemoteFile, music: string, playlists: string): Target {
  const safe = safeRelativePath(remote.path);
  if (/\.m3u8?$/i.test(safe)) {
    const name = safe.split(sep).pop() ?? safe;
    return { key: `playlists/${name}`, file: join(playlists, name), remote };
  }
  return { key: `music/${safe.split(sep).join('/')}`, file: join(music, safe), remote };
}

/** Two source files for one local file (`a/Mix.m3u` and `b/Mix.m3u`) would overwrite each other on every sync. */
function unique(targets: readonly Target[]): readonly Target[] {
  const seen = new Map<string, string>();
  for (const target of targets) {
    const other = seen.get(target.key);
    if (other !== undefined) throw new Error(`the source has "${other}" and "${target.remote.path}", which both become ${target.key}`);
    seen.set(target.key, target.remote.path);
  }
  return targets;
}

/** A source path as a local relative path; one that would leave the folder or hide from MPD is refused. */
function safeRelativePath(path: string): string {
  const normal = normalize(path);
  if (isAbsolute(normal) || normal.split(sep).some((part) => part === '..' || part === '' || part.startsWith('.'))) {
    throw new Error(`the source lists "${path}", which is not a plain relative path (no "..", no hidden names)`);
  }
  return normal;
}

function localFile(key: string, music: string, playlists: string): string {
  const [folder, ...rest] = key.split('/');
  return join(folder === 'playlists' ? playlists : music, ...rest);
}

/** Unchanged when the record matches the source's version and size and the file is still there, whole. */
async function isCurrent(record: SyncedFile | undefined, target: Target): Promise<boolean> {
  if (record?.version !== target.remote.version || record.size !== target.remote.size) return false;
  try {
    return (await stat(target.file)).size === target.remote.size;
  } catch {
    return false;
  }
}

async function filterAsync<T>(items: readonly T[], keep: (item: T) => Promise<boolean>): Promise<T[]> {
  const kept: T[] = [];
  for (const item of items) if (await keep(item)) kept.push(item);
  return kept;
}

/** Every `.m3u` playlist in the folder, by name, with its entries. */
export async function readPlaylists(folder: string): Promise<LibraryChange['playlists']> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => /\.m3u8?$/i.test(name) && !name.startsWith('.')).toSorted();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(folder, name), 'utf8');
      const entries = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
      return { name: name.replace(/\.m3u8?$/i, ''), entries };
    }),
  );
}
