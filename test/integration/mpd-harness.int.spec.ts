import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBinaries } from '../support/system-deps.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { MpdAckError } from '../support/mpd-protocol.js';

describeWithBinaries(['mpd', 'mpc'], 'startMpd harness', () => {
  let mpd: MpdHandle;
  beforeAll(async () => {
    mpd = await startMpd({ password: 'secret' });
  });
  afterAll(() => mpd?.dispose());

  it('serves the generated library and stored playlists', async () => {
    expect((await mpd.mpc('lsplaylists')).trim().split('\n').toSorted()).toEqual(['Evening', 'Morning']);
    expect((await mpd.mpc('-f', '%file%=%title%', 'listall')).trim().split('\n').toSorted()).toEqual([
      'first-light.wav=First Light',
      'second-wind.wav=Second Wind',
      'untitled.wav=',
    ]);
    await expect(mpd.command('load Nope')).rejects.toBeInstanceOf(MpdAckError);
  });

  it('restarts on the same port with the same files', async () => {
    const port = mpd.port;
    await mpd.mpc('load', 'Morning');
    await mpd.mpc('play');
    expect((await mpd.status())['state']).toBe('play');
    await mpd.kill();
    await expect(mpd.status()).rejects.toThrow(/ECONNREFUSED/);
    await mpd.restart();
    expect(mpd.port).toBe(port);
    expect((await mpd.mpc('lsplaylists')).trim().split('\n')).toContain('Morning');
  });
});
