import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  CommandError,
} from '../../core/index.js';
import { MpdAckError, toCommandError, toConnectError } from './mpd-errors.js';

// Built from real ACK lines, so the mapping is tested against what the parser makes of them.
const ack = (line: string): Error => new MpdAckError(line);

describe('MPD errors to coded errors', () => {
  it('parses the error number, the command and the message of an ACK line', () => {
    expect(new MpdAckError('ACK [50@1] {load} No such playlist')).toMatchObject({ errno: 50, current_command: 'load', message: 'No such playlist' });
    expect(new MpdAckError('ACK [5@0] {} unknown command "frob"')).toMatchObject({ errno: 5, current_command: undefined, message: 'unknown command "frob"' });
    expect(new MpdAckError('ACK garbled')).toMatchObject({ errno: 0, message: 'ACK garbled' });
  });

  it.each([
    ['ACK [50@0] {load} No such playlist', 'not_found'],
    ['ACK [2@0] {setvol} Number too large: 200', 'invalid_params'],
    ['ACK [55@0] {next} Not playing', 'conflict'],
    ['ACK [5@0] {setvol} No mixer', 'unavailable'],
    ['ACK [52@0] {play} system error', 'handler_failed'],
    ['ACK [4@0] {status} you don\'t have permission for "status"', 'handler_failed'],
  ])('%s → %s', (line, code) => {
    const error = toCommandError(ack(line), 'x');
    expect(error).toBeInstanceOf(CommandError);
    expect(error.code).toBe(code);
  });

  it('names the command and keeps MPD details', () => {
    const error = toCommandError(ack('ACK [50@1] {load} No such playlist'), 'load');
    expect(error.message).toBe('MPD refused "load": No such playlist');
    expect(error.toJSON().details).toEqual({ mpdError: 50, mpdCommand: 'load' });
  });

  it('says what to configure when there is no mixer', () => {
    expect(toCommandError(ack('ACK [5@0] {setvol} No mixer'), 'setvol').message).toMatch(/mixer_type/);
  });

  it('passes coded errors through and wraps anything else as handler_failed', () => {
    const unavailable = new CommandError('unavailable', 'lost');
    expect(toCommandError(unavailable, 'play')).toBe(unavailable);
    expect(toCommandError(new Error('boom'), 'play').code).toBe('handler_failed');
  });

  it('turns refused or missing passwords into authentication errors, without the password', () => {
    const wrong = toConnectError(ack('ACK [3@0] {password} incorrect password'));
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect(toConnectError(ack('ACK [4@0] {idle} you don\'t have permission for "idle"'))).toBeInstanceOf(AuthenticationError);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6600'), { code: 'ECONNREFUSED' });
    expect(toConnectError(refused)).toBe(refused);
  });
});
