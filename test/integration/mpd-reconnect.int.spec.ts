import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { rejectionCode, waitFor } from '../support/wait-for.js';

describeWithBinaries(['mpd', 'mpc'], 'MpdPlayer when MPD goes away', () => {
  let mpd: MpdHandle;
  const players: MpdPlayer[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  const newPlayer = (): MpdPlayer => {
    const player = new MpdPlayer(
      mpdPlayerOptionsSchema.parse({
        host: mpd.host,
        port: mpd.port,
        positionIntervalMs: 100,
        reconnect: { initialMs: 20, maxMs: 200 },
      }),
      'mpd',
    );
    players.push(player);
    return player;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    mpd = await startMpd();
  });

  afterAll(async () => {
    for (const player of players) await player.stop();
    await mpd?.dispose();
    process.off('unhandledRejection', onUnhandled);
  });

  it('goes offline when MPD dies mid-play, answers unavailable meanwhile and resyncs after a restart', async () => {
    const player = newPlayer();
    const statuses: ConnectionStatus[] = [];
    player.status$.subscribe((s) => statuses.push(s));
    await player.start(new AbortController().signal);
    await player.loadPlaylist('Morning');
    await player.next();

    await mpd.kill();
    const offline = await waitFor(player.status$, (s) => s.state === 'offline');
    expect(offline.error?.code).toBe('unavailable');
    expect(await rejectionCode(player.play())).toBe('unavailable');
    expect(await rejectionCode(player.setVolume(10))).toBe('unavailable');
    expect(await rejectionCode(player.getStatus())).toBe('unavailable');

    // A crash loses MPD's unsaved state; whatever it comes back with is what the player reports.
    await mpd.restart();
    await waitFor(player.status$, (s) => s.state === 'online');
    const mpdStatus = await mpd.status();
    const state = await player.getStatus();
    expect(state.playback.status).toBe({ play: 'playing', pause: 'paused', stop: 'stopped' }[mpdStatus['state'] ?? '']);
    expect(state.audio.volume).toBe(Number(mpdStatus['volume']));
    expect(state.playback.playlist).toBeNull();
    expect(statuses.map((s) => s.state).filter((s, i, all) => s !== all[i - 1])).toEqual([
      'connecting',
      'online',
      'offline',
      'online',
    ]);

    // The new connection carries commands and idle events again.
    await player.loadPlaylist('Evening');
    expect((await mpd.currentSong())['file']).toBe('untitled.wav');
    await mpd.mpc('volume', '25');
    await waitFor(player.state$, (s) => s.audio.volume === 25);
    await player.stop();
  });

  it('picks up the restored queue after a graceful MPD restart', async () => {
    const player = newPlayer();
    await player.start(new AbortController().signal);
    await player.loadPlaylist('Morning');
    await player.next();
    // Subscribed before the restart: the player may be back online by the time restart() resolves.
    const wentOffline = waitFor(player.status$, (s) => s.state === 'offline');
    await mpd.restart(); // SIGTERM: MPD saves its state file and resumes from it
    await wentOffline;
    await waitFor(player.status$, (s) => s.state === 'online');
    const song = await mpd.currentSong();
    const state = await waitFor(player.state$, (s) => s.playback.current_track === song['Title']);
    expect(state.playback.current_track).toBe('Second Wind');
    await player.stop();
  });

  it('starts while MPD is down, comes online when it appears, and stops cleanly while offline', async () => {
    await mpd.stop();
    const player = newPlayer();
    await player.start(new AbortController().signal);
    const offline = await waitFor(player.status$, (s) => s.state === 'offline');
    expect(offline.error?.message).toMatch(/ECONNREFUSED/);
    expect(await rejectionCode(player.loadPlaylist('Morning'))).toBe('unavailable');
    await mpd.restart();
    await waitFor(player.status$, (s) => s.state === 'online');
    await player.loadPlaylist('Morning');
    expect((await mpd.status())['state']).toBe('play');

    await mpd.kill();
    await waitFor(player.status$, (s) => s.state === 'offline');
    await player.stop();
    await waitFor(player.status$, (s) => s.state === 'closed');
    expect(await rejectionCode(player.play())).toBe('unavailable');
    await mpd.restart();
    expect(unhandled).toEqual([]);
  });
});
