import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../core/index.js';
import { commandResult, invokeFailure } from './command-messages.js';
import { playerStatusOf, playlistsOf } from './player-status.js';

describe('playerStatusOf', () => {
  it("reads the Azure guide's reported `status` when the device has one", () => {
    const state = { status: { state: 'paused', volume: 30, current_song: { title: 'Take Five' }, playlist: 'Morning Jazz' }, playback: { status: 'playing' } };
    expect(playerStatusOf(state)).toEqual({ state: 'paused', volume: 30, current_song: { title: 'Take Five' }, playlist: 'Morning Jazz' });
  });

  it("builds the guide's PlayerStatus from the player profile's sections otherwise", () => {
    const state = { audio: { volume: 40, device: 'virtual' }, playback: { status: 'playing', current_track: 'Deep Work', position: 3, duration: 245, playlist: 'Focus' } };
    expect(playerStatusOf(state)).toEqual({ state: 'playing', volume: 40, current_song: 'Deep Work', playlist: 'Focus' });
  });

  it('is the unknown status for a device that reports no player state', () => {
    expect(playerStatusOf(undefined)).toEqual({ state: 'unknown', volume: 0, current_song: null, playlist: null });
    expect(playerStatusOf({ anc: { mode: 'on' } })).toEqual({ state: 'unknown', volume: 0, current_song: null, playlist: null });
  });
});

describe('playlistsOf', () => {
  it('takes names, whether the device reports names or objects, and skips the rest', () => {
    expect(playlistsOf({ playlists: ['Focus', { name: 'Road Trip', tracks: 4 }, 7] })).toEqual(['Focus', 'Road Trip']);
    expect(playlistsOf({ playlists: 'Focus' })).toEqual([]);
  });
});

describe('commandResult', () => {
  const ok = { command_id: 'c', command: 'setVolume', success: true, timestamp: 1 } as const;

  it("answers the guide's wording unless the device sent a message of its own", () => {
    expect(commandResult('setVolume', { volume: 40 }, ok)).toEqual({ success: true, message: 'Volume set to 40' });
    expect(commandResult('play', {}, { ...ok, command: 'play', result: { message: 'Playing Focus' } })).toEqual({ success: true, message: 'Playing Focus' });
  });

  it("carries the device's reason on a refusal, and says which method failed otherwise", () => {
    const refused = { command_id: 'c', command: 'play', success: false, error: { code: 'conflict', message: 'the queue is empty' }, timestamp: 1 } as const;
    expect(commandResult('play', {}, refused)).toEqual({ success: false, code: 'conflict', message: 'the queue is empty' });
    expect(invokeFailure('next', new Error('no response within 30000 ms'))).toEqual({ success: false, message: 'Failed to invoke method next: no response within 30000 ms' });
    expect(invokeFailure('play', new TimeoutError('no response'))).toEqual({ success: false, code: 'timeout', message: 'Failed to invoke method play: no response' });
  });
});
