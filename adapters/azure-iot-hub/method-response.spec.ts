import { describe, expect, it } from 'vitest';
import {
  type CommandResponse,
} from '../../core/index.js';
import { alreadyAnswered, desiredCommandInbound, splitDesiredCommand } from './desired-command.js';
import { commandResponseFromMethod } from './method-answer.js';
import { methodAnswer } from './method-response.js';

describe('direct-method answers', () => {
  it('carry 200 and the guide\'s {result: true, message} on success, and read back into the same response', () => {
    const response: CommandResponse = { command_id: 'c1', command: 'getPlaylists', success: true, result: { playlists: ['A'] }, timestamp: 5 };
    const answer = methodAnswer(response);
    expect(answer).toEqual({
      status: 200,
      payload: { result: true, playlists: ['A'], message: 'getPlaylists done', command_id: 'c1', command: 'getPlaylists', success: true, data: { playlists: ['A'] }, timestamp: 5 },
    });
    expect(commandResponseFromMethod('getPlaylists', 'c1', answer.status, answer.payload, 0)).toEqual(response);
    const play = methodAnswer({ command_id: 'c2', command: 'play', success: true, timestamp: 5 });
    expect(play.payload).toMatchObject({ result: true, message: 'Playback started' });
    expect(play.payload).not.toHaveProperty('data');
    // A result member named like our envelope stays only in `data`.
    const odd = methodAnswer({ command_id: 'c3', command: 'x', success: true, result: { success: 'no', n: 1 }, timestamp: 5 });
    expect(odd.payload).toMatchObject({ success: true, n: 1, data: { success: 'no', n: 1 } });
  });

  it('carry the status of the error code and our error object on failure', () => {
    const statuses: Record<string, number> = { invalid_params: 400, unknown_command: 404, not_found: 404, busy: 409, handler_failed: 500, unavailable: 503, timeout: 504, odd: 500 };
    for (const [code, status] of Object.entries(statuses)) {
      const response: CommandResponse = { command_id: 'c', command: 'x', success: false, error: { code, message: `m ${code}` }, timestamp: 1 };
      const answer = methodAnswer(response);
      expect(answer.status).toBe(status);
      expect(answer.payload).toMatchObject({ result: false, message: `m ${code}`, error: { code } });
      expect(commandResponseFromMethod('x', 'c', answer.status, answer.payload, 0)).toEqual(response);
    }
  });

  it('replace an answer over 128 KB with payload_too_large', () => {
    const answer = methodAnswer({ command_id: 'c', command: 'dump', success: true, result: 'x'.repeat(130 * 1024), timestamp: 1 });
    expect(answer).toMatchObject({ status: 413, payload: { success: false, error: { code: 'payload_too_large' } } });
  });

  it('judge a device that is not ours by its status', () => {
    expect(commandResponseFromMethod('play', 'c9', 200, { result: 'ok', message: 'playing' }, 3)).toEqual({
      command_id: 'c9',
      command: 'play',
      success: true,
      result: { result: 'ok', message: 'playing' },
      timestamp: 3,
    });
    expect(commandResponseFromMethod('play', 'c9', 200, { result: false, message: 'Failed to start playback' }, 3)).toMatchObject({
      success: false,
      error: { code: 'handler_failed', message: 'Failed to start playback' },
    });
    expect(commandResponseFromMethod('play', 'c9', 400, { message: 'bad volume' }, 3)).toMatchObject({
      success: false,
      error: { code: 'invalid_params', message: 'bad volume', details: { status: 400 } },
    });
  });
});

describe('the desired command property', () => {
  it('is split from desired state', () => {
    expect(splitDesiredCommand({ audio: { volume: 1 }, command: { action: 'play' } })).toEqual({ state: { audio: { volume: 1 } }, command: { action: 'play' } });
    expect(splitDesiredCommand({ command: null })).toEqual({ state: {} });
  });

  it('becomes a command named by its action, with a version id from notifications and a content id from the whole twin', () => {
    const value = { action: 'setVolume', parameters: { volume: 20 } };
    expect(desiredCommandInbound(value, 7)).toMatchObject({ command: 'setVolume', requestId: 'desired-v7', payload: { command_id: 'desired-v7', params: { volume: 20 } } });
    const fromTwin = desiredCommandInbound(value, undefined);
    expect(fromTwin.requestId).toMatch(/^desired-[0-9a-f]{16}$/);
    expect(desiredCommandInbound(value, undefined).requestId).toBe(fromTwin.requestId);
    expect(desiredCommandInbound({ ...value, command_id: 'mine' }, 7).requestId).toBe('mine');
  });

  it('is recognised as answered from reported command_response', () => {
    const value = { action: 'play' };
    expect(alreadyAnswered({ command_response: { command_id: 'x', desired: { action: 'play' } } }, value)).toBe(true);
    expect(alreadyAnswered({ command_response: { command_id: 'x', desired: { action: 'pause' } } }, value)).toBe(false);
    expect(alreadyAnswered({}, value)).toBe(false);
  });
});
