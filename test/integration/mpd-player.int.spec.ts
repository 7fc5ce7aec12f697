import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { PlayerState } from '../../core/player/player-state.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { rejectionCode, waitFor } from '../support/wait-for.js';

// Every command is checked through MPD itself (a second connection or mpc), never only through
// what the adapter reports.
describeWithBinaries(['mpd', 'mpc'], 'MpdPlayer against a real MPD', () => {
  let mpd: MpdHandle;
  let player: MpdPlayer;
  let latest: PlayerState | undefined;

  beforeAll(async () => {
    mpd = await startMpd();
    player = new MpdPlayer(
      mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port, positionIntervalMs: 100 }),
      'mpd',
    );
    player.state$.subscribe((state) => (latest = state));
    await player.start(new AbortController().signal);
  });

  afterAll(async () => {
    await player?.stop();
    await mpd?.dispose();
  });

  beforeEach(async () => {
    await mpd.mpc('clear');
    await mpd.mpc('volume', '100');
    await waitFor(player.state$, (s) => s.playback.current_track === null && s.audio.volume === 100);
  });

  it('reports MPD as backend, its output as device and the stored playlists', async () => {
    const state = await player.getStatus();
    expect(state.audio).toEqual({ volume: 100, device: 'null', backend: 'mpd' });
    expect(state.playback).toEqual({ status: 'stopped', current_track: null, position: 0, duration: 0, playlist: null });
    expect([...(await player.getPlaylists())].toSorted()).toEqual(['Evening', 'Morning']);
    const statuses: string[] = [];
    player.status$.subscribe((s) => statuses.push(s.state)).unsubscribe();
    expect(statuses).toEqual(['online']);
  });

  it('answers conflict to play with an empty queue and not_found to an unknown playlist, queue untouched', async () => {
    expect(await rejectionCode(player.play())).toBe('conflict');
    await mpd.mpc('add', 'untitled.wav');
    expect(await rejectionCode(player.loadPlaylist('No Such List'))).toBe('not_found');
    expect((await mpd.mpc('-f', '%file%', 'playlist')).trim()).toBe('untitled.wav');
    expect((await mpd.status())['state']).toBe('stop');
  });

  it('refuses a control character in a playlist name: no second MPD command runs, the link stays usable', async () => {
    // The injection this guards against: the line feed ended `load` and MPD ran `rm Evening`.
    expect(await rejectionCode(player.loadPlaylist('nope\nrm Evening'))).toBe('invalid_params');
    expect(await rejectionCode(player.loadPlaylist('nope\rrm Evening'))).toBe('invalid_params');
    expect((await mpd.mpc('lsplaylists')).trim().split('\n').toSorted()).toEqual(['Evening', 'Morning']);
    await player.loadPlaylist('Evening');
    expect((await mpd.currentSong())['file']).toBe('untitled.wav');
  });

  it('loads a playlist and plays it, then pauses, resumes and stops', async () => {
    await player.loadPlaylist('Morning');
    expect((await mpd.mpc('-f', '%file%', 'playlist')).trim().split('\n')).toEqual(['first-light.wav', 'second-wind.wav']);
    expect((await mpd.status())['state']).toBe('play');
    expect((await mpd.currentSong())['Title']).toBe('First Light');
    expect(latest?.playback).toMatchObject({ status: 'playing', current_track: 'First Light', duration: 60, playlist: 'Morning' });

    await player.pause();
    expect((await mpd.status())['state']).toBe('pause');
    expect(latest?.playback.status).toBe('paused');
    await player.pause();
    expect((await mpd.status())['state']).toBe('pause');

    await player.play();
    expect((await mpd.status())['state']).toBe('play');
    await player.stopPlayback();
    expect((await mpd.status())['state']).toBe('stop');
    expect(latest?.playback).toMatchObject({ status: 'stopped', position: 0 });
    await player.play();
    expect((await mpd.status())['state']).toBe('play');
  });

  it('moves between tracks, with conflict past the end and when stopped', async () => {
    await player.loadPlaylist('Morning');
    await player.next();
    expect((await mpd.currentSong())['Title']).toBe('Second Wind');
    expect(latest?.playback.current_track).toBe('Second Wind');
    expect(await rejectionCode(player.next())).toBe('conflict');
    expect((await mpd.status())['state']).toBe('play');
    await player.previous();
    expect((await mpd.currentSong())['Title']).toBe('First Light');
    await player.stopPlayback();
    expect(await rejectionCode(player.next())).toBe('conflict');
    expect(await rejectionCode(player.previous())).toBe('conflict');
    expect(await rejectionCode(player.seek(5))).toBe('conflict');
  });

  it('sets the volume and seeks, refusing values MPD would misread', async () => {
    await player.setVolume(35);
    expect((await mpd.status())['volume']).toBe('35');
    expect(latest?.audio.volume).toBe(35);
    expect(await rejectionCode(player.setVolume(101))).toBe('invalid_params');

    await player.loadPlaylist('Morning');
    await player.pause();
    await player.seek(20);
    const elapsed = Number((await mpd.status())['elapsed']);
    expect(elapsed).toBeGreaterThanOrEqual(20);
    expect(elapsed).toBeLessThan(21);
    expect(latest?.playback.position).toBe(20);
    expect(await rejectionCode(player.seek(61))).toBe('invalid_params');
    expect(await rejectionCode(player.seek(-1))).toBe('invalid_params');
  });

  it('follows changes made by another client', async () => {
    await player.loadPlaylist('Morning');
    await mpd.mpc('volume', '30');
    await waitFor(player.state$, (s) => s.audio.volume === 30);
    await mpd.mpc('pause');
    await waitFor(player.state$, (s) => s.playback.status === 'paused');
    await mpd.mpc('play');
    await waitFor(player.state$, (s) => s.playback.status === 'playing');
    // Another client replacing the queue: the track falls back to its file name, and the playlist
    // name is no longer known.
    await mpd.mpc('clear');
    await mpd.mpc('load', 'Evening');
    await mpd.mpc('play');
    const state = await waitFor(player.state$, (s) => s.playback.current_track === 'untitled.wav');
    expect(state.playback).toMatchObject({ status: 'playing', playlist: null });
    await mpd.mpc('save', 'Saved Elsewhere');
    await waitFor(player.state$, (s) => s.playlists.includes('Saved Elsewhere'));
    await mpd.mpc('rm', 'Saved Elsewhere');
    await waitFor(player.state$, (s) => !s.playlists.includes('Saved Elsewhere'));
  });

  it('reports the position while playing and stays quiet when nothing changes', async () => {
    await player.loadPlaylist('Morning');
    const first = await waitFor(player.state$, (s) => s.playback.position > 0);
    await waitFor(player.state$, (s) => s.playback.position > first.playback.position);
    await player.pause();
    let emitted = 0;
    const subscription = player.state$.subscribe(() => emitted++);
    await player.getStatus();
    await player.pause();
    subscription.unsubscribe();
    expect(emitted).toBe(1); // the replayed current state only
  });
});
