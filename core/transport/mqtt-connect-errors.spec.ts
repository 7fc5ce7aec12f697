import { describe, expect, it } from 'vitest';
import { AuthenticationError, TransportError } from '../errors.js';
import { isThrottled, redactUrl, toConnectionError } from './mqtt-connect-errors.js';

function refusal(code: number): Error & { code: number } {
  return Object.assign(new Error(`Connection refused: ${code}`), { code });
}

describe('toConnectionError', () => {
  it.each([4, 5, 134, 135])('turns CONNACK %i into an AuthenticationError', (code) => {
    const error = toConnectionError(refusal(code), 'mqtt://u:secret@h:1883', false);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).not.toContain('secret');
    expect(error.toJSON()).toMatchObject({ code: 'authentication_failed', details: { reasonCode: code } });
  });

  it('reports other refusals and socket errors as unavailable, naming the broker', () => {
    // Only a credential refusal is final: a banned client or a busy server may be let in later.
    for (const code of [136, 137, 138, 140]) expect(toConnectionError(refusal(code), 'mqtt://h:1883', false)).toBeInstanceOf(TransportError);
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
    const error = toConnectionError(socket, 'mqtt://127.0.0.1:1883', false);
    expect(error.toJSON()).toEqual({
      code: 'unavailable',
      message: 'cannot connect to MQTT broker mqtt://127.0.0.1:1883: connect ECONNREFUSED 127.0.0.1:1883',
    });
    expect(toConnectionError(undefined, 'mqtt://h:1883', true).message).toBe('connection to MQTT broker mqtt://h:1883 lost: connection closed');
  });

  it('recognises throttling reason codes', () => {
    expect(isThrottled(refusal(137))).toBe(true);
    expect(isThrottled(toConnectionError(refusal(159), 'mqtt://h', false))).toBe(true);
    expect(isThrottled(refusal(135))).toBe(false);
  });

  it('removes credentials from URLs', () => {
    expect(redactUrl('mqtts://user:pw@host:8883/path')).toBe('mqtts://host:8883/path');
  });
});
