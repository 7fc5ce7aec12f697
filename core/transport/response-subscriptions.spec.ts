import { describe, expect, it } from 'vitest';
import { ResponseSubscriptions, type ResponseScope, type SubscriptionLease } from './response-subscriptions.js';

/** A lease whose SUBACK the spec settles, and whether it was released. */
function lease(): SubscriptionLease & { grant(): void; refuse(error: Error): void; released: number } {
  let grant!: () => void;
  let refuse!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    grant = resolve;
    refuse = reject;
  });
  const held = {
    ready,
    released: 0,
    grant,
    refuse,
    release: () => void held.released++,
  };
  return held;
}

function registry(scope?: ResponseScope) {
  const leases: ReturnType<typeof lease>[] = [];
  /** The devices subscribed, in order; `*` for every device's (scope `fleet`). */
  const subscribed: string[] = [];
  const responses = new ResponseSubscriptions((deviceId) => {
    subscribed.push(deviceId ?? '*');
    const made = lease();
    leases.push(made);
    return made;
  }, scope);
  return { responses, leases, subscribed };
}

describe('ResponseSubscriptions', () => {
  it('holds the first command to a device until the SUBACK, and sends later ones in the same call', async () => {
    const { responses, leases, subscribed } = registry();
    const published: string[] = [];
    const first = responses.send('d1', async () => void published.push('first'));
    await Promise.resolve();
    expect(published).toEqual([]);
    leases[0]!.grant();
    await first;
    void responses.send('d1', async () => void published.push('second'));
    // Synchronously: no promise hop once the subscription is confirmed.
    expect(published).toEqual(['first', 'second']);
    expect(subscribed).toEqual(['d1']);
  });

  it('ends the command on a refusal and asks again on the next command', async () => {
    const { responses, leases, subscribed } = registry();
    const refused = responses.send('d1', async () => undefined);
    leases[0]!.refuse(new Error('SUBACK 128'));
    await expect(refused).rejects.toThrow('SUBACK 128');
    expect(leases[0]!.released).toBe(1);
    const again = responses.send('d1', async () => undefined);
    leases[1]!.grant();
    await again;
    expect(subscribed).toEqual(['d1', 'd1']);
  });

  it('with a refusal tolerated: tells it once, publishes every waiting command, and never asks again', async () => {
    const { responses, leases, subscribed } = registry();
    const told: unknown[] = [];
    const published: number[] = [];
    const tolerate = (error: unknown): void => void told.push(error);
    const waiting = [1, 2].map((n) => responses.send('d1', async () => void published.push(n), tolerate));
    leases[0]!.refuse(new Error('SUBACK 135'));
    await Promise.all(waiting);
    void responses.send('d1', async () => void published.push(3), tolerate);
    expect(published).toEqual([1, 2, 3]);
    expect(told).toHaveLength(1);
    expect(leases[0]!.released).toBe(1);
    expect(subscribed).toEqual(['d1']);
  });

  it('sendNow publishes before the SUBACK, and is told of a refusal once', async () => {
    const { responses, leases, subscribed } = registry();
    const told: unknown[] = [];
    const published: number[] = [];
    const tolerate = (error: unknown): void => void told.push(error);
    void responses.sendNow('d1', async () => void published.push(1), tolerate);
    void responses.sendNow('d1', async () => void published.push(2), tolerate);
    expect(published).toEqual([1, 2]);
    leases[0]!.refuse(new Error('SUBACK 135'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toHaveLength(1);
    expect(leases[0]!.released).toBe(1);
    void responses.sendNow('d1', async () => void published.push(3), tolerate);
    expect(published).toEqual([1, 2, 3]);
    expect(subscribed).toEqual(['d1']);
  });

  it('keeps one subscription per device and releases all of them', async () => {
    const { responses, leases, subscribed } = registry();
    const sends = ['d1', 'd2', 'd1'].map((id) => responses.send(id, async () => undefined));
    for (const made of leases) made.grant();
    await Promise.all(sends);
    expect(subscribed).toEqual(['d1', 'd2']);
    responses.releaseAll();
    expect(leases.map((made) => made.released)).toEqual([1, 1]);
    void responses.send('d1', async () => undefined);
    expect(subscribed).toEqual(['d1', 'd2', 'd1']);
  });

  describe('scope fleet', () => {
    it('subscribes every device\'s responses once, before the first command to any device', async () => {
      const { responses, leases, subscribed } = registry('fleet');
      const published: string[] = [];
      const first = responses.send('d1', async () => void published.push('d1'));
      const second = responses.send('d2', async () => void published.push('d2'));
      await Promise.resolve();
      expect(published).toEqual([]);
      leases[0]!.grant();
      await Promise.all([first, second]);
      void responses.send('d3', async () => void published.push('d3'));
      expect(published).toEqual(['d1', 'd2', 'd3']);
      expect(subscribed).toEqual(['*']);
    });

    it('asks again for the one subscription after a refusal', async () => {
      const { responses, leases, subscribed } = registry('fleet');
      const refused = responses.send('d1', async () => undefined);
      leases[0]!.refuse(new Error('SUBACK 128'));
      await expect(refused).rejects.toThrow('SUBACK 128');
      const again = responses.send('d2', async () => undefined);
      leases[1]!.grant();
      await again;
      expect(subscribed).toEqual(['*', '*']);
      expect(leases[0]!.released).toBe(1);
    });
  });
});
