import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import {
  TOKENS,
  type ConnectionStatus,
  type PlayerAdapter,
  type PlayerState,
} from '../../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { rejectionCode } from '../../test/support/wait-for.js';
import plugin from './plugin.js';
import { virtualPlayerOptionsSchema, type VirtualPlayerOptionsInput } from './virtual-player-options.js';
import { VirtualPlayer } from './virtual-player.js';

const PLAYLISTS = {
  Short: [
    { title: 'One', duration: 3 },
    { title: 'Two', duration: 2 },
  ],
  Other: [{ title: 'Solo', duration: 10 }],
};

async function started(input: VirtualPlayerOptionsInput = { playlists: PLAYLISTS }) {
  const clock = new ManualClock();
  const player = new VirtualPlayer(virtualPlayerOptionsSchema.parse(input), 'virtual', clock);
  const states: PlayerState[] = [];
  player.state$.subscribe((state) => states.push(state));
  await player.start(new AbortController().signal);
  const last = (): PlayerState => states[states.length - 1] as PlayerState;
  return { clock, player, states, last };
}

describe('VirtualPlayer', () => {
  it('starts online, stopped, with the default library, its first playlist queued, and the default volume when configured with nothing', async () => {
    const { player, last } = await started({});
    const statuses: ConnectionStatus[] = [];
    player.status$.subscribe((s) => statuses.push(s));
    expect(statuses.map((s) => s.state)).toEqual(['online']);
    expect(last()).toEqual({
      audio: { volume: 50, device: 'virtual', backend: 'virtual' },
      playback: { status: 'stopped', current_track: null, position: 0, duration: 0, playlist: 'Morning Jazz' },
      playlists: ['Morning Jazz', 'Focus', 'Road Trip'],
    });
    expect(await player.getPlaylists()).toEqual(['Morning Jazz', 'Focus', 'Road Trip']);
    // As on a real device with a saved queue, play works at once.
    await player.play();
    expect(last().playback).toMatchObject({ status: 'playing', current_track: 'Blue in Green', playlist: 'Morning Jazz' });
  });

  it('tells a watch() listener the same states and statuses as state$ and status$, until unwatched', async () => {
    const clock = new ManualClock();
    const player = new VirtualPlayer(virtualPlayerOptionsSchema.parse({ playlists: PLAYLISTS }), 'virtual', clock);
    const streamed: unknown[] = [];
    const watched: unknown[] = [];
    player.state$.subscribe((state) => streamed.push(state));
    player.status$.subscribe((status) => streamed.push(status.state));
    const unwatch = player.watch({ state: (state) => watched.push(state), status: (status) => watched.push(status.state) });
    await player.start(new AbortController().signal);
    await player.play();
    expect(watched).toEqual(streamed);
    expect(watched.at(-1)).toMatchObject({ playback: { status: 'playing', current_track: 'One' } });
    unwatch();
    await player.stop();
    expect(watched).toHaveLength(streamed.length - 1);
  });

  it('queues the configured playlist at start, or nothing with queue ""', async () => {
    expect((await started({ playlists: PLAYLISTS, queue: 'Other' })).last().playback.playlist).toBe('Other');
    expect(virtualPlayerOptionsSchema.safeParse({ queue: 'Nope' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['queue']);
  });

  it('reports the output chosen with setOutput', async () => {
    const { player, last } = await started();
    await player.setOutput('hw:CARD=IQaudIODAC');
    expect(last().audio.device).toBe('hw:CARD=IQaudIODAC');
  });

  it('refuses to play an empty queue and an unknown playlist', async () => {
    const { player } = await started({ playlists: PLAYLISTS, queue: '' });
    expect(await rejectionCode(player.play())).toBe('conflict');
    expect(await rejectionCode(player.loadPlaylist('Nope'))).toBe('not_found');
    expect(await rejectionCode(player.loadPlaylist('toString'))).toBe('not_found');
  });

  it('loads a playlist, reports the position every interval and advances to the next track', async () => {
    const { player, clock, states, last } = await started();
    await player.loadPlaylist('Short');
    expect(last().playback).toEqual({ status: 'playing', current_track: 'One', position: 0, duration: 3, playlist: 'Short' });
    const before = states.length;
    clock.advance(2_000);
    expect(states.slice(before).map((s) => s.playback.position)).toEqual([1, 2]);
    clock.advance(1_500);
    // The track change is reported when it happens, then every interval from there.
    expect(last().playback).toMatchObject({ status: 'playing', current_track: 'Two', position: 0, duration: 2 });
    expect((await player.getStatus()).playback.position).toBe(0.5);
    clock.advance(10_000);
    expect(last().playback).toMatchObject({ status: 'stopped', current_track: null, position: 0 });
    expect(clock.pending).toBe(0);
    // As MPD does after the end of the queue, play starts it again from the first track.
    await player.play();
    expect(last().playback).toMatchObject({ status: 'playing', current_track: 'One', position: 0 });
  });

  it('computes positions from clock time even when the clock jumps over several tracks', async () => {
    const { player, clock } = await started({ playlists: PLAYLISTS, positionIntervalMs: 60_000 });
    await player.loadPlaylist('Short');
    clock.advance(4_250);
    expect((await player.getStatus()).playback).toMatchObject({ current_track: 'Two', position: 1.25 });
  });

  it('pauses, resumes, stops and rewinds like MPD', async () => {
    const { player, clock, states, last } = await started();
    await player.pause();
    expect(last().playback.status).toBe('stopped');
    await player.loadPlaylist('Other');
    clock.advance(2_000);
    await player.pause();
    const paused = states.length;
    clock.advance(5_000);
    expect(states.length).toBe(paused);
    expect(last().playback).toMatchObject({ status: 'paused', position: 2 });
    await player.play();
    clock.advance(1_000);
    expect(last().playback).toMatchObject({ status: 'playing', position: 3 });
    await player.stopPlayback();
    expect(last().playback).toMatchObject({ status: 'stopped', current_track: 'Solo', position: 0 });
    expect(clock.pending).toBe(0);
    await player.play();
    expect(last().playback).toMatchObject({ status: 'playing', current_track: 'Solo', position: 0 });
  });

  it('answers next and previous with conflict when stopped or at the end of the queue', async () => {
    const { player, last } = await started();
    await player.loadPlaylist('Short');
    await player.stopPlayback();
    expect(await rejectionCode(player.next())).toBe('conflict');
    expect(await rejectionCode(player.previous())).toBe('conflict');
    await player.play();
    await player.pause();
    // As in MPD, changing track while paused resumes playback.
    await player.next();
    expect(last().playback).toMatchObject({ current_track: 'Two', status: 'playing' });
    expect(await rejectionCode(player.next())).toBe('conflict');
    await player.previous();
    await player.previous();
    expect(last().playback).toMatchObject({ current_track: 'One', position: 0 });
  });

  it('seeks within the track and rejects positions outside it', async () => {
    const { player, last } = await started();
    expect(await rejectionCode(player.seek(1))).toBe('conflict');
    await player.loadPlaylist('Other');
    await player.seek(7.5);
    expect(last().playback.position).toBe(7.5);
    expect(await rejectionCode(player.seek(11))).toBe('invalid_params');
    expect(await rejectionCode(player.seek(-1))).toBe('invalid_params');
  });

  it('sets the volume within 0-100', async () => {
    const { player, last } = await started({ playlists: PLAYLISTS, initialVolume: 20 });
    expect(last().audio.volume).toBe(20);
    await player.setVolume(75);
    expect(last().audio.volume).toBe(75);
    expect(await rejectionCode(player.setVolume(101))).toBe('invalid_params');
    expect(await rejectionCode(player.setVolume(2.5))).toBe('invalid_params');
  });

  it('does not emit when a command changes nothing', async () => {
    const { player, states } = await started();
    const before = states.length;
    await player.pause();
    await player.stopPlayback();
    await player.setVolume(50);
    expect(states.length).toBe(before);
  });

  it('is closed after stop: timers cancelled, commands unavailable', async () => {
    const { player, clock } = await started();
    const statuses: string[] = [];
    player.status$.subscribe((s) => statuses.push(s.state));
    await player.loadPlaylist('Short');
    await player.stop();
    expect(clock.pending).toBe(0);
    expect(statuses).toEqual(['online', 'closed']);
    expect(await rejectionCode(player.play())).toBe('unavailable');
  });

  it('rejects invalid options with a message naming the key', () => {
    const result = virtualPlayerOptionsSchema.safeParse({ initialVolume: 150, playlists: { Empty: [] } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).toSorted()).toEqual(['initialVolume', 'playlists.Empty']);
  });
});

describe('amora-virtual-player plugin', () => {
  it('binds a VirtualPlayer built from the kind options, clock and instance id', async () => {
    const kind = plugin.kinds.virtual;
    expect(kind.role).toBe('player');
    const options = kind.options.parse({ initialVolume: 30 });
    const container = new Container();
    container.bind(TOKENS.KindOptions).toConstantValue(options);
    container.bind(TOKENS.Clock).toConstantValue(new ManualClock());
    container.bind(TOKENS.InstanceId).toConstantValue('virtual#1');
    container.load(kind.module(options));
    const player = container.get<PlayerAdapter>(TOKENS.PlayerAdapter);
    expect(player).toBeInstanceOf(VirtualPlayer);
    expect(player.id).toBe('virtual#1');
    expect(container.get(TOKENS.PlayerAdapter)).toBe(player);
    expect((await player.getStatus().catch((e: { code: string }) => e.code))).toBe('unavailable');
  });
});
