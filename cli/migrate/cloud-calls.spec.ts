import { describe, expect, it } from 'vitest';
import { CloudCalls, isThrottled } from './cloud-calls.js';

const named = (name: string, extra: object = {}): Error => Object.assign(new Error(name), { name }, extra);

describe('CloudCalls', () => {
  it('retries a call the cloud throttled, and counts it', async () => {
    const calls = new CloudCalls(1000, 4);
    let attempts = 0;
    const result = await calls.call(async () => {
      attempts++;
      if (attempts === 1) throw named('ThrottlingException');
      return 'created';
    });
    expect(result).toBe('created');
    expect({ calls: calls.calls, throttled: calls.throttled }).toEqual({ calls: 2, throttled: 1 });
    calls.close();
  });

  it('passes any other failure through at once', async () => {
    const calls = new CloudCalls(1000, 4);
    await expect(calls.call(() => Promise.reject(named('ResourceAlreadyExistsException')))).rejects.toThrow('ResourceAlreadyExistsException');
    expect(calls.throttled).toBe(0);
    calls.close();
  });

  it('knows throttling by the AWS exception name or an HTTP 429 from either SDK', () => {
    expect(isThrottled(named('ThrottlingException'))).toBe(true);
    expect(isThrottled(named('Error', { response: { statusCode: 429 } }))).toBe(true);
    expect(isThrottled(named('Error', { $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isThrottled(named('Error', { response: { statusCode: 409 } }))).toBe(false);
    expect(isThrottled('429')).toBe(false);
  });
});
