import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { DedupeCache } from './dedupe-cache.js';

/** A promise plus its resolve/reject, so a test decides when work finishes. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A task answering its own key. */
const value = (key: string) => (): Promise<string> => Promise.resolve(key);

/** Lets settled promises run their callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DedupeCache', () => {
  it('runs concurrent duplicates once and gives both the same answer', async () => {
    const cache = new DedupeCache<string>({ windowMs: 1_000, max: 10, clock: new ManualClock() });
    const work = deferred<string>();
    const run = vi.fn<() => Promise<string>>(() => work.promise);
    const first = cache.getOrRun('id', run);
    const second = cache.getOrRun('id', run);
    expect(first.hit).toBe(false);
    expect(second.hit).toBe(true);
    expect(second.value).toBe(first.value);
    work.resolve('answer');
    await expect(second.value).resolves.toBe('answer');
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('keeps an answer for the window after it settled, then runs again', async () => {
    const clock = new ManualClock();
    const cache = new DedupeCache<number>({ windowMs: 1_000, max: 10, clock });
    let runs = 0;
    const run = (): Promise<number> => Promise.resolve(++runs);
    expect(await cache.getOrRun('id', run).value).toBe(1);
    await settle();
    clock.advance(999);
    expect(cache.getOrRun('id', run)).toMatchObject({ hit: true });
    expect(await cache.getOrRun('id', run).value).toBe(1);
    clock.advance(1);
    expect(cache.getOrRun('id', run).hit).toBe(false);
    expect(runs).toBe(2);
  });

  it('never expires work that is still running, however long it takes', async () => {
    const clock = new ManualClock();
    const cache = new DedupeCache<string>({ windowMs: 100, max: 10, clock });
    const work = deferred<string>();
    cache.getOrRun('id', () => work.promise);
    clock.advance(10_000);
    expect(cache.getOrRun('id', () => Promise.resolve('again')).hit).toBe(true);
    work.resolve('done');
    await settle();
    clock.advance(99);
    expect(cache.getOrRun('id', () => Promise.resolve('again')).hit).toBe(true);
  });

  it('forgets work that rejected so a retry runs it again', async () => {
    const cache = new DedupeCache<string>({ windowMs: 1_000, max: 10, clock: new ManualClock() });
    const first = cache.getOrRun('id', () => Promise.reject(new Error('boom')));
    await expect(first.value).rejects.toThrow('boom');
    await settle();
    const retry = cache.getOrRun('id', () => Promise.resolve('ok'));
    expect(retry.hit).toBe(false);
    await expect(retry.value).resolves.toBe('ok');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const cache = new DedupeCache<string>({ windowMs: 1_000, max: 10 });
    const result = cache.getOrRun('id', () => {
      throw new Error('sync');
    });
    await expect(result.value).rejects.toThrow('sync');
  });

  it('evicts the least recently used settled answers beyond max', async () => {
    const cache = new DedupeCache<string>({ windowMs: 60_000, max: 2, clock: new ManualClock() });
    await cache.getOrRun('a', value('a')).value;
    await cache.getOrRun('b', value('b')).value;
    await settle();
    expect(cache.getOrRun('a', value('a')).hit).toBe(true); // a is now more recent than b
    await cache.getOrRun('c', value('c')).value;
    await settle();
    expect(cache.size).toBe(2);
    expect(cache.getOrRun('a', value('a')).hit).toBe(true);
    expect(cache.getOrRun('c', value('c')).hit).toBe(true);
    expect(cache.getOrRun('b', value('b')).hit).toBe(false);
  });

  it('never evicts running work, even beyond max', async () => {
    const cache = new DedupeCache<string>({ windowMs: 60_000, max: 1, clock: new ManualClock() });
    const slow = deferred<string>();
    cache.getOrRun('slow', () => slow.promise);
    await cache.getOrRun('x', () => Promise.resolve('x')).value;
    await cache.getOrRun('y', () => Promise.resolve('y')).value;
    await settle();
    expect(cache.getOrRun('slow', () => Promise.resolve('again')).hit).toBe(true);
    expect(cache.size).toBe(2); // slow (running) + one settled
  });

  it('clear() forgets everything, and late settlements do not resurrect entries', async () => {
    const cache = new DedupeCache<string>({ windowMs: 60_000, max: 10, clock: new ManualClock() });
    const work = deferred<string>();
    cache.getOrRun('id', () => work.promise);
    cache.clear();
    work.resolve('late');
    await settle();
    expect(cache.size).toBe(0);
    expect(cache.getOrRun('id', () => Promise.resolve('fresh')).hit).toBe(false);
  });

  it('remembers an answer given at once as itself: no promise, kept for the window, bounded by max', () => {
    const clock = new ManualClock();
    const cache = new DedupeCache<{ n: number }>({ windowMs: 1_000, max: 2, clock });
    const first = { n: 1 };
    expect(cache.getOrRun('a', () => first)).toEqual({ hit: false, value: first });
    const repeat = cache.getOrRun('a', () => ({ n: 2 }));
    expect(repeat.hit).toBe(true);
    expect(repeat.value).toBe(first);
    expect(cache.peek('a')).toBe(first);
    cache.getOrRun('b', () => ({ n: 3 }));
    cache.getOrRun('c', () => ({ n: 4 }));
    expect(cache.size).toBe(2);
    expect(cache.getOrRun('a', () => ({ n: 5 })).hit).toBe(false); // evicted: least recently used
    clock.advance(1_000);
    expect(cache.getOrRun('c', () => ({ n: 6 })).hit).toBe(false); // past the window
  });

  it('keeps evicting the least recently used over a long run, whatever was used again meanwhile', () => {
    const clock = new ManualClock();
    const cache = new DedupeCache<number>({ windowMs: 60_000, max: 50, clock });
    let retriesAnswered = 0;
    for (let n = 0; n < 5_000; n++) {
      cache.getOrRun(`id-${n}`, () => n);
      // A retry of a recent command now and then moves it to the back of the queue.
      if (n % 7 === 0 && cache.getOrRun(`id-${Math.max(0, n - 3)}`, () => -1).hit) retriesAnswered++;
    }
    expect(retriesAnswered).toBe(Math.ceil(5_000 / 7));
    expect(cache.size).toBe(50);
    // The 50 most recently used: the last 50 ids, one of them kept by a retry instead of another.
    const kept = Array.from({ length: 5_000 }, (_, n) => n).filter((n) => cache.peek(`id-${n}`) !== undefined);
    expect(kept).toHaveLength(50);
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(5_000 - 53);
  });

  it('still knows which answer was used least recently after the same ones are asked for again and again', () => {
    const cache = new DedupeCache<number>({ windowMs: 60_000, max: 3, clock: new ManualClock() });
    for (let n = 0; n < 3; n++) cache.getOrRun(`id-${n}`, () => n);
    // 10,000 uses and no eviction: the queue of uses is rebuilt on the way, its order kept.
    for (let round = 1; round <= 10_000; round++) expect(cache.getOrRun(`id-${round % 3}`, () => -1).hit).toBe(true);
    cache.getOrRun('id-3', () => 3);
    // id-2 was used last at round 9,998, before id-0 (9,999) and id-1 (10,000).
    expect([0, 1, 2, 3].map((n) => cache.peek(`id-${n}`))).toEqual([0, 1, undefined, 3]);
  });
});
