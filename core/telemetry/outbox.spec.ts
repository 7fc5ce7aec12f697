import { describe, expect, it, vi } from 'vitest';
import { Outbox } from './outbox.js';

describe('Outbox', () => {
  it('keeps items in order and reports its size', () => {
    const outbox = new Outbox<number>({ capacity: 3 });
    outbox.push(1);
    outbox.push(2);
    expect(outbox.size).toBe(2);
    expect(outbox.stats()).toEqual({ queued: 2, dropped: 0 });
  });

  it('drops the oldest on overflow, counts it and reports every drop', () => {
    const onOverflow = vi.fn<(dropped: number, item: string) => void>();
    const outbox = new Outbox<string>({ capacity: 2, onOverflow });
    for (const item of ['a', 'b', 'c', 'd']) outbox.push(item);
    expect(outbox.dropped).toBe(2);
    expect(outbox.stats()).toEqual({ queued: 2, dropped: 2 });
    expect(onOverflow.mock.calls).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('with capacity 0 keeps nothing but still reports each loss', () => {
    const onOverflow = vi.fn<(dropped: number, item: number) => void>();
    const outbox = new Outbox<number>({ capacity: 0, onOverflow });
    outbox.push(1);
    expect(outbox.stats()).toEqual({ queued: 0, dropped: 1 });
    expect(onOverflow).toHaveBeenCalledWith(1, 1);
  });

  it('drain() sends everything in order', async () => {
    const outbox = new Outbox<number>({ capacity: 10 });
    for (const item of [1, 2, 3]) outbox.push(item);
    const sent: number[] = [];
    await expect(outbox.drain(async (item) => void sent.push(item))).resolves.toEqual({ sent: 3, remaining: 0 });
    expect(sent).toEqual([1, 2, 3]);
    expect(outbox.size).toBe(0);
  });

  it('drain() stops at the first failure and keeps that item and the rest', async () => {
    const outbox = new Outbox<number>({ capacity: 10 });
    for (const item of [1, 2, 3, 4]) outbox.push(item);
    const failure = new Error('offline again');
    const sent: number[] = [];
    const result = await outbox.drain(async (item) => {
      if (item === 3) throw failure;
      sent.push(item);
    });
    expect(result).toEqual({ sent: 2, remaining: 2, error: failure });
    expect(sent).toEqual([1, 2]);
    const retried: number[] = [];
    await outbox.drain(async (item) => void retried.push(item));
    expect(retried).toEqual([3, 4]);
  });

  it('treats a synchronous throw from send as a failure', async () => {
    const outbox = new Outbox<number>({ capacity: 10 });
    outbox.push(1);
    const result = await outbox.drain(() => {
      throw new Error('sync');
    });
    expect(result).toMatchObject({ sent: 0, remaining: 1 });
  });

  it('sends items pushed while draining, in the same drain', async () => {
    const outbox = new Outbox<number>({ capacity: 10 });
    outbox.push(1);
    const sent: number[] = [];
    const result = await outbox.drain(async (item) => {
      sent.push(item);
      if (item === 1) outbox.push(2);
    });
    expect(result).toEqual({ sent: 2, remaining: 0 });
    expect(sent).toEqual([1, 2]);
  });

  it('runs one drain at a time: a second call joins the first', async () => {
    const outbox = new Outbox<number>({ capacity: 10 });
    outbox.push(1);
    outbox.push(2);
    const send = vi.fn<(item: number) => Promise<void>>(async () => undefined);
    const [first, second] = await Promise.all([outbox.drain(send), outbox.drain(send)]);
    expect(first).toBe(second);
    expect(send).toHaveBeenCalledTimes(2);
  });

  it('never counts the item being sent as dropped when it is delivered', async () => {
    const outbox = new Outbox<string>({ capacity: 2 });
    outbox.push('a');
    outbox.push('b');
    const sent: string[] = [];
    await outbox.drain(async (item) => {
      sent.push(item);
      // While 'a' is in flight the queue fills up again; 'a' is out of it and cannot be dropped.
      if (item === 'a') outbox.push('c');
    });
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(outbox.stats()).toEqual({ queued: 0, dropped: 0 });
  });

  it('drops a failed item as the oldest when the queue filled up while it was being sent', async () => {
    const onOverflow = vi.fn<(dropped: number, item: string) => void>();
    const outbox = new Outbox<string>({ capacity: 2, onOverflow });
    outbox.push('a');
    outbox.push('b');
    const result = await outbox.drain(async (item) => {
      outbox.push(`${item}-new`);
      throw new Error('offline');
    });
    // 'a' failed and went back to the front of [b, a-new], beyond capacity: 'a' is the oldest.
    expect(result).toMatchObject({ sent: 0, remaining: 2 });
    expect(onOverflow.mock.calls).toEqual([[1, 'a']]);
    const rest: string[] = [];
    await outbox.drain(async (item) => void rest.push(item));
    expect(rest).toEqual(['b', 'a-new']);
  });
});
