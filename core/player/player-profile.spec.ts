import { BehaviorSubject, firstValueFrom, NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CommandDispatcher } from '../commands/dispatcher.js';
import type { CommandResponse } from '../commands/types.js';
import { CommandError } from '../errors.js';
import type { PlayerAdapter } from './player-adapter.js';
import { PLAYER_COMMANDS } from './player-commands.js';
import { RebootRequest } from '../agent/reboot-request.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { createPlayerProfile, type PlayerProfileSettings } from './player-profile.js';
import type { PlayerState } from './player-state.js';
import type { JsonObject } from '../state/json.js';

const initial: PlayerState = {
  audio: { volume: 50, backend: 'pulse' },
  playback: { status: 'stopped', current_track: null, position: 0, duration: 0, playlist: null },
  playlists: ['Morning Jazz', 'Focus'],
};

/** Records every operation; only what the profile touches is implemented. */
function recordingPlayer(): PlayerAdapter & { calls: string[]; state: BehaviorSubject<PlayerState> } {
  const calls: string[] = [];
  const state = new BehaviorSubject(initial);
  const record = (call: string) => async () => void calls.push(call);
  return {
    id: 'recording',
    calls,
    state,
    state$: state.asObservable(),
    status$: NEVER,
    start: async () => undefined,
    stop: async () => undefined,
    play: record('play'),
    pause: record('pause'),
    stopPlayback: record('stopPlayback'),
    next: record('next'),
    previous: record('previous'),
    setVolume: async (volume) => void calls.push(`setVolume ${volume}`),
    seek: async (position) => void calls.push(`seek ${position}`),
    loadPlaylist: async (name) => {
      if (name === 'Missing') throw new CommandError('not_found', `playlist "${name}" not found`);
      calls.push(`loadPlaylist ${name}`);
    },
    getPlaylists: async () => state.value.playlists,
    getStatus: async () => state.value,
  };
}

function setup(settings: PlayerProfileSettings = {}) {
  const player = recordingPlayer();
  const profile = createPlayerProfile(player, { clock: new ManualClock(), ...settings });
  const dispatcher = new CommandDispatcher({ specs: profile.commands, services: profile.services });
  let id = 0;
  const run = (command: string, params: Record<string, unknown> = {}): Promise<CommandResponse> =>
    dispatcher.execute({ command, command_id: `c${++id}`, params: params as never });
  return { player, profile, run };
}

describe('player profile commands', () => {
  it('declares every command with a description', () => {
    const { profile } = setup();
    expect(profile.name).toBe('player');
    expect(profile.commands.map((c) => c.name)).toEqual([...PLAYER_COMMANDS, 'setContentSync']);
    for (const spec of profile.commands) expect(spec.description).toMatch(/^[A-Z].+\.$/);
  });

  it('shares one command list between players; each agent drives its own', async () => {
    const first = setup();
    const second = setup();
    expect(second.profile.commands).toBe(first.profile.commands);
    await first.run('play');
    await second.run('setVolume', { volume: 12 });
    expect(first.player.calls).toEqual(['play']);
    expect(second.player.calls).toEqual(['setVolume 12']);
  });

  it('drives the player; stop maps to stopPlayback', async () => {
    const { player, run } = setup();
    for (const command of ['play', 'pause', 'stop', 'next', 'previous']) expect((await run(command)).success).toBe(true);
    await run('setVolume', { volume: 40 });
    await run('seek', { position: 12.5 });
    await run('loadPlaylist', { playlist: 'Focus' });
    expect(player.calls).toEqual(['play', 'pause', 'stopPlayback', 'next', 'previous', 'setVolume 40', 'seek 12.5', 'loadPlaylist Focus']);
  });

  it('answers getPlaylists and getStatus with JSON results', async () => {
    const { run } = setup();
    expect(await run('getPlaylists')).toMatchObject({ success: true, result: { playlists: ['Morning Jazz', 'Focus'] } });
    expect(await run('getStatus')).toMatchObject({
      success: true,
      result: { audio: { volume: 50, device: null, backend: 'pulse' }, playback: { status: 'stopped' }, playlists: ['Morning Jazz', 'Focus'] },
    });
  });

  it('setVolume {volume: 150} is invalid_params naming volume', async () => {
    const { player, run } = setup();
    const response = await run('setVolume', { volume: 150 });
    expect(response).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'volume' } } });
    expect(response.success === false && response.error.message).toContain('volume');
    expect(player.calls).toEqual([]);
  });

  it('refuses wrong types, empty playlists and negative positions', async () => {
    const { run } = setup();
    expect(await run('setVolume', { volume: 'loud' })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'volume' } } });
    expect(await run('setVolume', { volume: 40.5 })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'volume' } } });
    expect(await run('seek', { position: -1 })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'position' } } });
    expect(await run('loadPlaylist', { playlist: '' })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'playlist' } } });
    expect(await run('loadPlaylist', {})).toMatchObject({ error: { code: 'invalid_params', details: { field: 'playlist' } } });
  });

  it('refuses a playlist name with a control character before the player sees it', async () => {
    const { player, run } = setup();
    for (const playlist of ['nope\nrm Evening', 'tab\there', 'nul\u0000', 'del\u007f']) {
      expect(await run('loadPlaylist', { playlist })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'playlist' } } });
    }
    expect(player.calls).toEqual([]);
  });

  it('names an unknown parameter key, so typos fail loudly', async () => {
    const { player, run } = setup();
    const typo = await run('setVolume', { volum: 40 });
    expect(typo).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'volum' } } });
    expect(typo.success === false && typo.error.message).toContain('unknown parameter (expected volume)');
    expect(await run('play', { now: true })).toMatchObject({ error: { code: 'invalid_params', details: { field: 'now' } } });
    expect(player.calls).toEqual([]);
  });

  it('passes player errors through with their code', async () => {
    const { run } = setup();
    expect(await run('loadPlaylist', { playlist: 'Missing' })).toMatchObject({ success: false, error: { code: 'not_found' } });
  });
});

describe('player profile state', () => {
  it('maps player state to audio, playback and playlists; vanished optional fields become null', async () => {
    const { player, profile } = setup();
    expect(await firstValueFrom(profile.state$!)).toEqual({
      audio: { volume: 50, device: null, backend: 'pulse' },
      playback: { status: 'stopped', current_track: null, position: 0, duration: 0, playlist: null },
      playlists: ['Morning Jazz', 'Focus'],
      status: { state: 'stopped', volume: 50, current_song: null, playlist: null },
      lastUpdated: '2026-01-01T00:00:00Z',
    });
    player.state.next({ ...initial, audio: { volume: 10, device: 'hw:0' } });
    expect((await firstValueFrom(profile.state$!))['audio']).toEqual({ volume: 10, device: 'hw:0', backend: null });
  });

  it('carries the Azure guide\'s PlayerStatus as status, and gives it as the status message', async () => {
    const { player, profile } = setup();
    player.state.next({ ...initial, playback: { status: 'playing', current_track: 'Take Five', position: 3, duration: 324, playlist: 'Morning Jazz' } });
    const state = await firstValueFrom(profile.state$!);
    expect(state['status']).toEqual({ state: 'playing', volume: 50, current_song: 'Take Five', playlist: 'Morning Jazz' });
    expect(profile.status!(state)).toEqual(state['status']);
    expect(profile.status!({})).toEqual({ state: 'unknown', volume: 0, current_song: null, playlist: null });
  });

  it('reports the configured audio backend and starts with the configured output, then volume', async () => {
    const { profile } = setup({ audio: { volume: 80, device: 'default', backend: 'pipewire' } });
    expect((await firstValueFrom(profile.state$!))['audio']).toEqual({ volume: 50, device: null, backend: 'pipewire' });
    expect(profile.startup).toEqual([
      { command: 'setAudioDevice', params: { device: 'default' } },
      { command: 'setVolume', params: { volume: 80 } },
    ]);
    expect(setup().profile.startup).toEqual([]);
  });

  it('feeds every state$ subscriber and the agent\'s watchState at once, on a player whose watch() takes one listener', async () => {
    const player = recordingPlayer();
    // PlayerAdapter.watch's contract: one listener, a later call replaces it.
    let watcher: Parameters<NonNullable<PlayerAdapter['watch']>>[0] | undefined;
    const watching: PlayerAdapter = {
      ...player,
      watch: (listener) => {
        watcher = listener;
        listener.state(player.state.value);
        const states = player.state.subscribe((state) => watcher === listener && listener.state(state));
        return () => {
          states.unsubscribe();
          if (watcher === listener) watcher = undefined;
        };
      },
    };
    const profile = createPlayerProfile(watching, { clock: new ManualClock() });
    const dispatcher = new CommandDispatcher({ specs: profile.commands, services: profile.services });
    const seen: { agent: JsonObject[]; first: JsonObject[]; second: JsonObject[] } = { agent: [], first: [], second: [] };
    const stopAgent = profile.watchState!({ next: (patch) => seen.agent.push(patch), error: () => undefined });
    const first = profile.state$!.subscribe((patch) => seen.first.push(patch));
    const second = profile.state$!.subscribe((patch) => seen.second.push(patch));
    player.state.next({ ...initial, audio: { ...initial.audio, volume: 70 } });
    expect((await dispatcher.execute({ command: 'setContentSync', command_id: 's1', params: { enabled: true } })).success).toBe(true);
    for (const patches of Object.values(seen)) {
      expect(patches.map((patch) => (patch['audio'] as JsonObject | undefined)?.['volume'])).toContain(70);
      expect(patches.at(-1)?.['content']).toEqual({ sync_enabled: true });
    }
    stopAgent();
    first.unsubscribe();
    second.unsubscribe();
  });

  it('reports content.sync_enabled once set, and selects outputs on players that have them', async () => {
    const { profile, run } = setup();
    expect(await firstValueFrom(profile.state$!)).not.toHaveProperty('content');
    expect((await run('setContentSync', { enabled: true })).success).toBe(true);
    expect((await firstValueFrom(profile.state$!))['content']).toEqual({ sync_enabled: true });
    // The recording player has no outputs to choose from.
    expect(await run('setAudioDevice', { device: 'hw:1' })).toMatchObject({ success: false, error: { code: 'conflict' } });
  });
});

describe('player reconciler', () => {
  const reported = { playback: { status: 'stopped', playlist: 'Focus' }, audio: { volume: 50 } };

  it('maps desired volume, default playlist and status to commands in a composable order', () => {
    const { profile } = setup();
    const steps = profile.reconcile!(
      { audio: { volume: 40 }, content: { default_playlist: 'Morning Jazz' }, playback: { status: 'paused' } },
      reported,
    );
    expect(steps).toEqual([
      { command: 'loadPlaylist', params: { playlist: 'Morning Jazz' } },
      { command: 'setVolume', params: { volume: 40 } },
      { command: 'pause', params: {} },
    ]);
  });

  it('skips the default playlist when it is already the reported one', () => {
    const { profile } = setup();
    expect(profile.reconcile!({ content: { default_playlist: 'Focus' } }, reported)).toEqual([]);
  });

  it('maps each playback status and ignores unknown values and types', () => {
    const { profile } = setup();
    const statusStep = (status: unknown) => profile.reconcile!({ playback: { status: status as never } }, reported);
    expect(statusStep('playing')).toEqual([{ command: 'play', params: {} }]);
    expect(statusStep('stopped')).toEqual([{ command: 'stop', params: {} }]);
    expect(statusStep('rewinding')).toEqual([]);
    expect(profile.reconcile!({ audio: { volume: '40' }, content: 'x', playback: 3 }, reported)).toEqual([]);
  });

  it('maps desired audio.device and content.sync_enabled', () => {
    const { profile } = setup();
    expect(profile.reconcile!({ audio: { device: 'USB DAC' }, content: { sync_enabled: false } }, reported)).toEqual([
      { command: 'setAudioDevice', params: { device: 'USB DAC' } },
      { command: 'setContentSync', params: { enabled: false } },
    ]);
    expect(profile.reconcile!({ audio: { device: '' }, content: { sync_enabled: 'yes' } }, reported)).toEqual([]);
  });
});

describe('player profile features', () => {
  it('answers syncContent, setContentSync and reboot with unsupported when the device has no such feature', async () => {
    const { run } = setup();
    for (const [command, params] of [['syncContent', {}], ['setContentSync', { source: { prefix: 'x/' } }], ['reboot', {}]] as const) {
      expect(await run(command, params)).toMatchObject({ success: false, error: { code: 'unsupported', message: expect.stringMatching(/not configured/) } });
    }
  });

  it('validates syncContent params: force is a boolean, nothing else is accepted', async () => {
    const { run } = setup();
    expect(await run('syncContent', { force: 'yes' })).toMatchObject({ success: false, error: { code: 'invalid_params' } });
    expect(await run('syncContent', { forse: true })).toMatchObject({ success: false, error: { code: 'invalid_params', message: expect.stringContaining('forse') } });
  });

  it('marks a reboot and answers rebooting; the agent carries it out once', async () => {
    const player = recordingPlayer();
    const reboot = new RebootRequest();
    const profile = createPlayerProfile(player, { features: { reboot } });
    const dispatcher = new CommandDispatcher({ specs: profile.commands, services: profile.services });
    expect(await dispatcher.execute({ command: 'reboot', command_id: 'r1', params: {} })).toMatchObject({ success: true, result: { rebooting: true } });
    expect(reboot.take()).toBe(true);
    reboot.request();
    expect(reboot.take()).toBe(false);
  });

  it('maps desired content.sync_enabled and content.source to setContentSync; other shapes are skipped', () => {
    const { profile } = setup();
    expect(profile.reconcile!({ content: { sync_enabled: true, source: { prefix: 'set-2/' } } }, {})).toEqual([
      { command: 'setContentSync', params: { enabled: true, source: { prefix: 'set-2/' } } },
    ]);
    expect(profile.reconcile!({ content: { sync_enabled: 'yes', source: { prefix: 3 } } }, {})).toEqual([]);
  });
});
