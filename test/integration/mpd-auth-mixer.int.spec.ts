import { afterAll, beforeAll, expect, it } from 'vitest';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema, type MpdPlayerOptionsInput } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { rejectionCode, waitFor } from '../support/wait-for.js';

const PASSWORD = 'open-sesame';

// One MPD without a mixer, behind a password, also listening on a Unix socket.
describeWithBinaries(['mpd', 'mpc'], 'MpdPlayer with a password, a Unix socket and no mixer', () => {
  let mpd: MpdHandle;
  const players: MpdPlayer[] = [];

  const started = async (options: Omit<MpdPlayerOptionsInput, 'host' | 'port'>): Promise<MpdPlayer> => {
    const player = new MpdPlayer(
      mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port, reconnect: { initialMs: 20, maxMs: 100 }, ...options }),
      'mpd',
    );
    players.push(player);
    await player.start(new AbortController().signal);
    return player;
  };

  beforeAll(async () => {
    mpd = await startMpd({ mixer: 'none', password: PASSWORD, unixSocket: true });
  });

  afterAll(async () => {
    for (const player of players) await player.stop();
    await mpd?.dispose();
  });

  it('connects with the password over the Unix socket and keeps it across reconnects', async () => {
    const player = await started({ password: PASSWORD, socketPath: mpd.socketPath });
    expect((await waitFor(player.status$, (s) => s.state !== 'connecting')).state).toBe('online');
    const wentOffline = waitFor(player.status$, (s) => s.state === 'offline');
    await mpd.restart();
    await wentOffline;
    await waitFor(player.status$, (s) => s.state === 'online');
    await player.loadPlaylist('Morning');
    expect((await mpd.status())['state']).toBe('play');
  });

  it('answers unavailable to a volume change when MPD has no mixer, and reports volume 0', async () => {
    const player = await started({ password: PASSWORD });
    const error = await player.setVolume(50).catch((e: unknown) => e as { code: string; message: string });
    expect(error).toMatchObject({ code: 'unavailable' });
    expect((error as { message: string }).message).toMatch(/no mixer/);
    expect((await player.getStatus()).audio.volume).toBe(0);
    expect((await mpd.status())['volume']).toBeUndefined();
  });

  it('stays offline with authentication_failed on a wrong or missing password, never showing it', async () => {
    const wrong = await started({ password: 'not-the-password' });
    const refused = await waitFor(wrong.status$, (s) => s.state === 'offline');
    expect(refused.error?.code).toBe('authentication_failed');
    expect(JSON.stringify(refused)).not.toContain('not-the-password');
    expect(await rejectionCode(wrong.play())).toBe('unavailable');

    const missing = await started({});
    expect((await waitFor(missing.status$, (s) => s.state === 'offline')).error?.code).toBe('authentication_failed');
  });
});
