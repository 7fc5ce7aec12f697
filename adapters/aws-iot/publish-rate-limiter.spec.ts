import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { PublishRateLimiter } from './publish-rate-limiter.js';

describe('PublishRateLimiter', () => {
  it('lets a full bucket through at once, then paces at the rate, in order', async () => {
    const clock = new ManualClock();
    const limiter = new PublishRateLimiter(10, clock);
    const released: number[] = [];
    const all = Array.from({ length: 25 }, (_, i) => limiter.acquire().then(() => released.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(released).toHaveLength(10);
    clock.advance(1000);
    await Promise.resolve();
    expect(released).toHaveLength(20);
    clock.advance(500);
    await Promise.all(all);
    expect(released).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('never releases more than the rate in any one-second window after the first burst', async () => {
    const clock = new ManualClock();
    const limiter = new PublishRateLimiter(50, clock);
    const times: number[] = [];
    const all = Array.from({ length: 300 }, () => limiter.acquire().then(() => times.push(clock.now())));
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await Promise.resolve();
    }
    await Promise.all(all);
    const start = times[0]!;
    for (const t of times) {
      const inWindow = times.filter((u) => u >= t && u < t + 1000).length;
      // One bucket (50) plus what refills within the window (50).
      expect(inWindow).toBeLessThanOrEqual(100);
    }
    expect(times.filter((t) => t >= start + 1000 && t < start + 2000).length).toBeLessThanOrEqual(50);
  });

  it('fails waiting publishes on cancelAll', async () => {
    const clock = new ManualClock();
    const limiter = new PublishRateLimiter(1, clock);
    await limiter.acquire();
    const waiting = limiter.acquire();
    limiter.cancelAll();
    await expect(waiting).rejects.toMatchObject({ code: 'unavailable' });
    expect(limiter.pending).toBe(0);
  });
});
