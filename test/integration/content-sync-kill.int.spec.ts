import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { wavFile } from '../support/wav-file.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

const BIG = wavFile({ seconds: 120 }); // about 1 MB
const HALF = Math.floor(BIG.length / 2);
const sha = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/** Resolves once `check` holds; checks the filesystem every few ms (there is no event for "a file grew"). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await delay(20);
}

// A sync killed halfway (kill -9 of the agent process in the middle of a download, held there by
// a server that stops after half the file) leaves nothing MPD can see; the next run finishes it.
describeWithBinaries(['mpd', 'mpc'], 'content sync killed halfway', () => {
  let broker: EmbeddedBroker;
  let mpd: MpdHandle;
  let server: Server;
  let dir: string;
  let config: string;
  let throttled = true;
  const held: ServerResponse[] = [];
  const agents: CliProcess[] = [];
  const music = (): string => join(mpd.dir, 'music');

  beforeAll(async () => {
    await ensureCliBuilt();
    [broker, mpd] = await Promise.all([startEmbeddedBroker({ port: 0 }), startMpd()]);
    const playlist = Buffer.from('big/long.wav\n');
    const manifest = JSON.stringify([
      { path: 'big/long.wav', url: '/long.wav', size: BIG.length, sha256: sha(BIG) },
      { path: 'Long.m3u', url: '/Long.m3u', size: playlist.length, sha256: sha(playlist) },
    ]);
    server = createServer((request, response) => {
      if (request.url === '/manifest.json') return void response.end(manifest);
      if (request.url === '/Long.m3u') return void response.end(playlist);
      response.writeHead(200, { 'content-length': BIG.length });
      if (!throttled) return void response.end(BIG);
      response.write(BIG.subarray(0, HALF)); // ... and the rest never comes.
      held.push(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    dir = await mkdtemp(join(tmpdir(), 'amora-content-kill-'));
    config = join(dir, 'agent.json');
    await writeFile(config, JSON.stringify({
      device: { id: 'player-kill' },
      player: { kind: 'virtual' },
      transports: [{ kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}` }],
      content: {
        storage_path: music(),
        playlists_path: join(mpd.dir, 'playlists'),
        source: { kind: 'https-manifest', url: `http://127.0.0.1:${port}/manifest.json` },
        sync_enabled: true,
      },
    }));
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    for (const response of held) response.destroy();
    server?.close();
    server?.closeAllConnections();
    await Promise.all([broker?.close(), mpd?.dispose()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves only a hidden temp file after kill -9, and the next run completes and removes it', async () => {
    const first = spawnCli(['agent', '--config', config, '--log-level', 'info']);
    agents.push(first);
    const partFile = async (): Promise<string | undefined> => {
      const names = await readdir(join(music(), 'big')).catch(() => []);
      for (const name of names) {
        if (name.endsWith('.amora-part') && (await stat(join(music(), 'big', name))).size >= HALF) return name;
      }
      return undefined;
    };
    await until(async () => (await partFile()) !== undefined);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const left = await readdir(join(music(), 'big'));
    expect(left).not.toContain('long.wav');
    expect(left.every((name) => name.startsWith('.'))).toBe(true);
    await mpd.mpc('update', '--wait');
    expect(await mpd.mpc('listall')).not.toContain('long.wav');

    throttled = false;
    const second = spawnCli(['agent', '--config', config, '--log-level', 'info']);
    agents.push(second);
    // The agent logs (JSON lines) on stderr.
    await second.stderrLine((line) => line.includes('content sync finished'));
    expect(await readdir(join(music(), 'big'))).toEqual(['long.wav']);
    expect((await stat(join(music(), 'big', 'long.wav'))).size).toBe(BIG.length);
    await second.stop('SIGTERM');
  }, 60_000);
});
