import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, ContainerSASPermissions, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ContentSyncService } from '../../content/content-sync-service.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { ContentConfigSchema } from '../../core/config/content-schema.js';
import type { ContentSyncState } from '../../core/player/content-sync.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import { systemClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logging/logger.js';
import type { JsonObject } from '../../core/state/json.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { waitFor } from '../support/wait-for.js';
import { wavFile } from '../support/wav-file.js';

const PREFIX = 'player-001/';
const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

// Content sync end to end: blobs in Azurite (Microsoft's emulator), a real MPD whose music and
// playlist folders are the sync's targets, `syncContent` through the agent's command dispatcher.
describeWithBinaries(['mpd'], 'syncContent from Azure Blob Storage into MPD', () => {
  let azurite: AzuriteHandle;
  let mpd: MpdHandle;
  let container: ContainerClient;
  let agent: Agent;
  const syncStates: ContentSyncState[] = [];

  const upload = async (name: string, body: Buffer | string): Promise<void> => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await container.getBlockBlobClient(`${PREFIX}${name}`).uploadData(data);
  };
  const reported = (): JsonObject => agent.state.snapshot.state;
  const mpdFiles = async (): Promise<string[]> =>
    (await mpd.command('listall')).filter((line) => line.startsWith('file: ')).map((line) => line.slice('file: '.length));

  beforeAll(async () => {
    [azurite, mpd] = await Promise.all([startAzurite(), startMpd()]);
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('music');
    await container.create();
    await upload('tracks/dawn.wav', wavFile({ seconds: 1, title: 'Dawn' }));
    await upload('tracks/dusk.wav', wavFile({ seconds: 2, title: 'Dusk' }));
    await upload('Sunrise.m3u', 'tracks/dawn.wav\ntracks/dusk.wav\n');
    await container.getBlockBlobClient('player-0010/outside-the-prefix.wav').uploadData(wavFile({ seconds: 1 }));
    await container.getBlockBlobClient('elsewhere/other.wav').uploadData(wavFile({ seconds: 1 }));

    const player = new MpdPlayer(mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port }), 'mpd');
    const content = new ContentSyncService({
      config: ContentConfigSchema.parse({
        storage_path: join(mpd.dir, 'music'),
        playlists_path: join(mpd.dir, 'playlists'),
        source: { kind: 'azure-blob', container: 'music', prefix: PREFIX, connection_string: azurite.connectionString },
      }),
      player,
      logger: silentLogger,
      clock: systemClock,
    });
    agent = createAgent({ deviceId: 'player-001', profile: createPlayerProfile(player, { features: { content } }), transports: [], components: [player, content] });
    agent.state.changes$.subscribe(() => {
      const sync = (reported()['content'] as { sync?: ContentSyncState } | undefined)?.sync;
      if (sync && syncStates.at(-1) !== sync) syncStates.push(sync);
    });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await Promise.all([mpd?.dispose(), azurite?.dispose()]);
  });

  it('downloads the prefix, and MPD lists the new tracks and playlist when the command answers', async () => {
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: true, result: { files_total: 3, downloaded: 3, deleted: 0 } });
    // The answer comes after MPD's database update and the playlist re-read: no waiting here.
    expect(reported()['playlists']).toContain('Sunrise');
    expect(response.success && (response.result as { playlists: string[] }).playlists).toContain('Sunrise');
    expect(await mpdFiles()).toEqual(expect.arrayContaining(['tracks/dawn.wav', 'tracks/dusk.wav']));
    expect(await readFile(join(mpd.dir, 'playlists', 'Sunrise.m3u'), 'utf8')).toBe('tracks/dawn.wav\ntracks/dusk.wav\n');
    expect(await exists(join(mpd.dir, 'music', 'outside-the-prefix.wav'))).toBe(false);
    expect(await exists(join(mpd.dir, 'music', 'other.wav'))).toBe(false);

    const states = syncStates.map((s) => s.status);
    expect(states).toContain('running');
    const last = syncStates.at(-1);
    expect(last).toMatchObject({ status: 'succeeded', files_done: 3, files_total: 3 });
    // null in a merge patch deletes: a success leaves no last_error in reported state.
    expect(last).not.toHaveProperty('last_error');
    expect(last?.bytes_done).toBe(last?.bytes_total);
    expect(last?.finished).toBeGreaterThanOrEqual(last?.started ?? Infinity);
  });

  it('downloads nothing when nothing changed, and everything again with force', async () => {
    expect(await agent.execute('syncContent', {})).toMatchObject({ success: true, result: { downloaded: 0, deleted: 0 } });
    expect(await agent.execute('syncContent', { force: true })).toMatchObject({ success: true, result: { downloaded: 3 } });
  });

  it('answers busy to a second sync while one runs', async () => {
    const [first, second] = await Promise.all([agent.execute('syncContent', { force: true }), agent.execute('syncContent', {})]);
    expect(first.success).toBe(true);
    expect(second).toMatchObject({ success: false, error: { code: 'busy' } });
  });

  it('takes a changed blob, removes a deleted one from disk and from MPD', async () => {
    await upload('tracks/dusk.wav', wavFile({ seconds: 3, title: 'Dusk (long)' }));
    await container.getBlockBlobClient(`${PREFIX}tracks/dawn.wav`).delete();
    await upload('Sunrise.m3u', 'tracks/dusk.wav\n');

    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: true, result: { files_total: 2, downloaded: 2, deleted: 1 } });
    expect(await exists(join(mpd.dir, 'music', 'tracks', 'dawn.wav'))).toBe(false);
    const files = await mpdFiles();
    expect(files).toContain('tracks/dusk.wav');
    expect(files).not.toContain('tracks/dawn.wav');
    // A file the sync did not write is never deleted (the MPD fixture's own tracks).
    expect(files).toContain('first-light.wav');
  });

  it('has MPD index what a sync downloaded while MPD was down, on the next sync', async () => {
    await upload('tracks/noon.wav', wavFile({ seconds: 1, title: 'Noon' }));
    await mpd.stop();
    await waitFor(agent.health$, (health) => health.components['mpd']?.state !== 'online');
    expect(await agent.execute('syncContent', {})).toMatchObject({ success: false, error: { code: 'unavailable' } });
    expect(await exists(join(mpd.dir, 'music', 'tracks', 'noon.wav'))).toBe(true);

    await mpd.restart();
    await waitFor(agent.health$, (health) => health.components['mpd']?.state === 'online');
    expect(await agent.execute('syncContent', {})).toMatchObject({ success: true, result: { downloaded: 0 } });
    expect(await mpdFiles()).toContain('tracks/noon.wav');
  });

  it('reads a container through a SAS URL, without the account key', async () => {
    const sasUrl = await container.generateSasUrl({ permissions: ContainerSASPermissions.parse('rl'), expiresOn: new Date(Date.now() + 3_600_000) });
    const dir = await mkdtemp(join(tmpdir(), 'amora-content-sas-'));
    try {
      const sync = new ContentSyncService({
        config: ContentConfigSchema.parse({ storage_path: dir, source: { kind: 'azure-blob', sas_url: sasUrl, prefix: PREFIX } }),
        player: undefined,
        logger: silentLogger,
        clock: systemClock,
      });
      expect(await sync.sync({ force: false }, new AbortController().signal)).toMatchObject({ downloaded: 3, playlists: ['Sunrise'] });
      expect(await exists(join(dir, 'tracks', 'noon.wav'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a clear error when the source is unreachable and keeps the content', async () => {
    await azurite.server.stop('SIGKILL');
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: false, error: { code: 'unavailable', message: expect.stringContaining('Azure Blob container http://127.0.0.1') } });
    expect(syncStates.at(-1)).toMatchObject({ status: 'failed', last_error: { code: 'unavailable' } });
    expect(JSON.stringify(reported())).not.toContain('AccountKey');
    expect(await exists(join(mpd.dir, 'music', 'tracks', 'dusk.wav'))).toBe(true);
    expect(reported()['playlists']).toContain('Sunrise');
  });
});
