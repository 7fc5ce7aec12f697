import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { ContentSyncService } from '../../content/content-sync-service.js';
import { silentLogger, systemClock } from '../../core/index.js';
import { ContentConfigSchema } from '../../core/internal.js';
import { startAzurite } from '../../test/support/azurite.js';
import { nowMs } from './latency-recorder.js';
import { alternatingRounds } from './rounds.js';

/** What the content-sync scenario measured: MB/s from Azurite to disk, per pass in run order. */
export interface ContentSyncBenchResult {
  readonly files: number;
  readonly bytes: number;
  /** raw = @azure/storage-blob downloadToFile of each blob; amora = syncContent {force: true}. */
  readonly passes: readonly { readonly who: 'raw' | 'amora'; readonly mbPerSecond: number }[];
}

/**
 * `files` blobs of `fileBytes` random bytes in Azurite, then each round downloads all of them to
 * an empty folder twice: with the SDK's own downloadToFile one after the other (what a plain
 * script would do), and through content sync with force (list, temp file, verify MD5, rename,
 * record). Raw and amora alternate, the order reversed every round.
 */
export async function runContentSync(files = 8, fileBytes = 4 * 1024 * 1024, rounds = 3): Promise<ContentSyncBenchResult | string> {
  const azurite = await startAzurite();
  const dir = await mkdtemp(join(tmpdir(), 'amora-bench-content-'));
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('bench');
    await container.create();
    const names = Array.from({ length: files }, (_, i) => `tracks/track-${String(i).padStart(2, '0')}.flac`);
    for (const name of names) await container.getBlockBlobClient(name).uploadData(randomBytes(fileBytes));
    const bytes = files * fileBytes;
    const passes: { who: 'raw' | 'amora'; mbPerSecond: number }[] = [];
    for (const { round, who } of alternatingRounds(rounds, ['raw', 'amora'])) {
      const target = join(dir, `${who}-${round}`);
      await mkdir(target, { recursive: true });
      const ms = who === 'raw' ? await rawDownload(container, names, target) : await amoraSync(azurite.connectionString, target);
      passes.push({ who, mbPerSecond: bytes / 1e6 / (ms / 1000) });
      await rm(target, { recursive: true, force: true });
    }
    return { files, bytes, passes };
  } finally {
    await azurite.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawDownload(container: ContainerClient, names: readonly string[], target: string): Promise<number> {
  const start = nowMs();
  for (const name of names) {
    await mkdir(join(target, 'tracks'), { recursive: true });
    await container.getBlobClient(name).downloadToFile(join(target, name));
  }
  return nowMs() - start;
}

async function amoraSync(connectionString: string, target: string): Promise<number> {
  const sync = new ContentSyncService({
    config: ContentConfigSchema.parse({ storage_path: target, source: { kind: 'azure-blob', container: 'bench', connection_string: connectionString } }),
    player: undefined,
    logger: silentLogger,
    clock: systemClock,
  });
  const start = nowMs();
  await sync.sync({ force: true }, new AbortController().signal);
  return nowMs() - start;
}
