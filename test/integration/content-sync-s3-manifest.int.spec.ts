import { createHash } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentSyncService } from '../../content/content-sync-service.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { systemClock } from '../../core/clock.js';
import { ContentConfigSchema } from '../../core/config/content-schema.js';
import { silentLogger } from '../../core/logging/logger.js';
import type { ContentSyncState } from '../../core/player/content-sync.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import type { JsonObject } from '../../core/state/json.js';
import { VirtualPlayer } from '../../player/virtual/virtual-player.js';
import { virtualPlayerOptionsSchema } from '../../player/virtual/virtual-player-options.js';
import { startS3Server, type S3ServerHandle } from '../support/s3-server.js';
import { waitFor } from '../support/wait-for.js';
import { wavFile } from '../support/wav-file.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
const STALL_BYTES = 200_000;

/** An agent with the virtual player (it reads the synced playlists folder) and content sync from `source`. */
async function startAgent(dir: string, source: JsonObject, extra: JsonObject = {}): Promise<Agent> {
  const player = new VirtualPlayer(virtualPlayerOptionsSchema.parse({}), 'virtual');
  const content = new ContentSyncService({
    config: ContentConfigSchema.parse({ storage_path: join(dir, 'music'), playlists_path: join(dir, 'playlists'), source, ...extra }),
    player,
    logger: silentLogger,
    clock: systemClock,
  });
  const agent = createAgent({ deviceId: 'player-s3', profile: createPlayerProfile(player, { features: { content } }), transports: [], components: [player, content] });
  await agent.start();
  return agent;
}

const syncOf = (agent: Agent): ContentSyncState | undefined => (agent.state.snapshot.state['content'] as { sync?: ContentSyncState } | undefined)?.sync;

describe('syncContent from an S3-compatible server (s3rver)', () => {
  let s3: S3ServerHandle;
  let client: S3Client;
  let dir: string;
  let agent: Agent;
  const put = (key: string, body: Buffer | string) => client.send(new PutObjectCommand({ Bucket: 'music', Key: key, Body: body }));

  beforeAll(async () => {
    s3 = await startS3Server(['music']);
    client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    dir = await mkdtemp(join(tmpdir(), 'amora-content-s3-'));
    await put('set-1/calm/rain.wav', wavFile({ seconds: 1, title: 'Rain' }));
    await put('set-1/Calm.m3u', 'calm/rain.wav\n');
    await put('set-2/upbeat/drums.wav', wavFile({ seconds: 1, title: 'Drums' }));
    await put('set-2/Upbeat.m3u', 'upbeat/drums.wav\n');
    agent = await startAgent(dir, {
      kind: 's3', bucket: 'music', prefix: 'set-1/', endpoint: s3.endpoint, force_path_style: true,
      access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey,
    }, { sync_interval_s: 3600 });
  });

  afterAll(async () => {
    await agent?.stop();
    client?.destroy();
    await s3?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs the prefix; the virtual player lists the synced playlists', async () => {
    const response = await agent.execute('syncContent', { force: true });
    expect(response).toMatchObject({ success: true, result: { files_total: 2, downloaded: 2, playlists: ['Calm'] } });
    expect(agent.state.snapshot.state['playlists']).toEqual(['Calm']);
    expect(await exists(join(dir, 'music', 'calm', 'rain.wav'))).toBe(true);
    expect(await agent.execute('loadPlaylist', { playlist: 'Calm' })).toMatchObject({ success: true });
    expect(agent.state.snapshot.state['playback']).toMatchObject({ current_track: 'rain', playlist: 'Calm' });
  });

  it('desired content.source and sync_enabled: a changed source syncs at once, reported mirrors them', async () => {
    agent.state.setDesired({ content: { sync_enabled: true, source: { prefix: 'set-2/' } } });
    await waitFor(agent.state.reported$, ({ state }) => (state['playlists'] as string[] | undefined)?.includes('Upbeat') === true);
    expect(agent.state.snapshot.state['content']).toMatchObject({ sync_enabled: true, source: { kind: 's3', bucket: 'music', prefix: 'set-2/' } });
    // The old prefix's files were written by the sync and are gone from the new source.
    await waitFor(agent.state.reported$, () => syncOf(agent)?.status === 'succeeded');
    expect(await exists(join(dir, 'music', 'calm', 'rain.wav'))).toBe(false);
    // Credentials never reach reported state.
    expect(JSON.stringify(agent.state.snapshot.state)).not.toContain(s3.secretAccessKey);

    agent.state.setDesired({ content: { sync_enabled: false } });
    await waitFor(agent.state.reported$, ({ state }) => (state['content'] as JsonObject | undefined)?.['sync_enabled'] === false);
  });

  it('refuses desired source keys that carry credentials', async () => {
    const response = await agent.execute('setContentSync', { source: { endpoint: 'http://attacker.example' } });
    expect(response).toMatchObject({ success: false, error: { code: 'invalid_params', message: expect.stringContaining('cannot be set remotely') } });
  });

  it('removes what the source deleted on the next sync', async () => {
    await client.send(new DeleteObjectCommand({ Bucket: 'music', Key: 'set-2/upbeat/drums.wav' }));
    expect(await agent.execute('syncContent', {})).toMatchObject({ success: true, result: { downloaded: 0, deleted: 1 } });
    expect(await exists(join(dir, 'music', 'upbeat', 'drums.wav'))).toBe(false);
  });
});

describe('syncContent from an HTTPS manifest', () => {
  let server: Server;
  let base: string;
  let dir: string;
  let agent: Agent;
  const files = new Map<string, Buffer>();
  let manifest: { path: string; url: string; size: number; sha256: string }[] = [];
  const entry = (path: string, body: Buffer, sha256 = createHash('sha256').update(body).digest('hex')) => {
    files.set(`/files/${path}`, body);
    return { path, url: `files/${path}`, size: body.length, sha256 };
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/stall') {
        // Half of what it promises, then nothing: a download that hangs until someone gives up.
        response.writeHead(200, { 'content-length': STALL_BYTES }).write(Buffer.alloc(STALL_BYTES / 2));
        return;
      }
      const body = request.url === '/manifest.json' ? Buffer.from(JSON.stringify(manifest)) : files.get(request.url ?? '');
      response.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    dir = await mkdtemp(join(tmpdir(), 'amora-content-manifest-'));
    agent = await startAgent(dir, { kind: 'https-manifest', url: `${base}/manifest.json` });
  });

  afterAll(async () => {
    await agent?.stop();
    server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('downloads the listed files, relative URLs against the manifest', async () => {
    manifest = [entry('a/one.wav', wavFile({ seconds: 1 })), entry('Mix.m3u', Buffer.from('a/one.wav\n'))];
    expect(await agent.execute('syncContent', {})).toMatchObject({ success: true, result: { downloaded: 2, playlists: ['Mix'] } });
  });

  it('refuses a file whose SHA-256 differs: the old file stays and nothing half-written is visible', async () => {
    const good = wavFile({ seconds: 1 });
    // The manifest promises `good` again, under a new digest-carrying version, but the server sends other bytes.
    manifest = [{ ...entry('a/one.wav', wavFile({ seconds: 2 })), sha256: createHash('sha256').update(Buffer.concat([good, Buffer.from('x')])).digest('hex') }, manifest[1]!];
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: false, error: { code: 'unavailable', message: expect.stringMatching(/one\.wav: download corrupt \(SHA-256/) } });
    expect(syncOf(agent)).toMatchObject({ status: 'failed', last_error: { code: 'unavailable' } });
    expect(await readdir(join(dir, 'music', 'a'))).toEqual(['one.wav']);
    expect(await readFile(join(dir, 'music', 'a', 'one.wav'))).toEqual(good);
  });

  it('refuses a listed path that would leave the folders', async () => {
    const saved = manifest;
    manifest = [entry('../outside.wav', wavFile({ seconds: 1 }))];
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: false, error: { message: expect.stringContaining('"../outside.wav", which is not a plain relative path') } });
    expect(await exists(join(dir, 'outside.wav'))).toBe(false);
    manifest = saved;
  });

  it('refuses two source files that would become one local file', async () => {
    const saved = manifest;
    const body = Buffer.from('a/one.wav\n');
    manifest = [entry('morning/Mix.m3u', body), entry('evening/Mix.m3u', body)];
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: false, error: { message: expect.stringContaining('"morning/Mix.m3u" and "evening/Mix.m3u", which both become playlists/Mix.m3u') } });
    manifest = saved;
  });

  it('is cancelled at once when the agent stops, leaving no partial file', async () => {
    const stopping = await startAgent(dir, { kind: 'https-manifest', url: `${base}/manifest.json` });
    const saved = manifest;
    manifest = [{ path: 'slow/stalled.wav', url: '/stall', size: STALL_BYTES, sha256: '0'.repeat(64) }];
    const answer = stopping.execute('syncContent', {});
    await waitFor(stopping.state.reported$, () => (syncOf(stopping)?.bytes_done ?? 0) > 0);
    await stopping.stop();
    expect(await answer).toMatchObject({ success: false, error: { message: expect.stringContaining('cancelled') } });
    expect(syncOf(stopping)).toMatchObject({ status: 'cancelled', last_error: { message: expect.stringContaining('the agent is stopping') } });
    expect(await readdir(join(dir, 'music', 'slow'))).toEqual([]);
    manifest = saved;
  });

  it('names an unreachable manifest in the error and keeps the content', async () => {
    server.close();
    server.closeAllConnections();
    const response = await agent.execute('syncContent', {});
    expect(response).toMatchObject({ success: false, error: { code: 'unavailable', message: expect.stringContaining(`manifest ${base}/manifest.json`) } });
    expect(await exists(join(dir, 'playlists', 'Mix.m3u'))).toBe(true);
  });
});
