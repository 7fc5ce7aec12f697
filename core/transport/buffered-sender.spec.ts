import { describe, expect, it } from 'vitest';
import { TransportError } from '../errors.js';
import { silentLogger } from '../logging/logger.js';
import { BufferedSender } from './buffered-sender.js';

function sender(options: { connected: boolean; fail?: unknown; capacity?: number }) {
  const sent: string[] = [];
  const stats: { queued: number; dropped: number }[] = [];
  const buffered = new BufferedSender<string>({
    capacity: options.capacity ?? 10,
    send: async (message) => {
      if (options.fail !== undefined) throw options.fail;
      sent.push(message);
    },
    connected: () => options.connected,
    onStats: (value) => stats.push(value),
    logger: silentLogger,
    describe: (message) => ({ message }),
  });
  return { buffered, sent, stats, options };
}

describe('BufferedSender', () => {
  it('queues until the resync opens it, drains in order, then sends directly', async () => {
    const { buffered, sent, stats } = sender({ connected: true });
    await buffered.send('a');
    await buffered.send('b');
    expect(sent).toEqual([]);
    expect(stats.at(-1)).toEqual({ queued: 2, dropped: 0 });
    await buffered.drain();
    buffered.open();
    await buffered.send('c');
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(stats.at(-1)).toEqual({ queued: 0, dropped: 0 });
  });

  it('keeps a message whose send failed because the connection dropped, and throws a refusal on a live one', async () => {
    const lost = sender({ connected: false, fail: new TransportError('unavailable', 'gone') });
    lost.buffered.open();
    await lost.buffered.send('x');
    expect(lost.buffered.size).toBe(1);
    const refused = sender({ connected: true, fail: new TransportError('transport_failed', 'ACL') });
    refused.buffered.open();
    await expect(refused.buffered.send('x')).rejects.toMatchObject({ code: 'transport_failed' });
    const tooLarge = sender({ connected: false, fail: new TransportError('payload_too_large', 'big') });
    tooLarge.buffered.open();
    await expect(tooLarge.buffered.send('x')).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('drops the oldest beyond capacity, counted, and queues nothing after close()', async () => {
    const { buffered, stats } = sender({ connected: false, capacity: 2 });
    for (const message of ['a', 'b', 'c']) await buffered.send(message);
    expect(stats.at(-1)).toEqual({ queued: 2, dropped: 1 });
    buffered.close();
    await buffered.send('d');
    expect(buffered.size).toBe(2);
  });
});
