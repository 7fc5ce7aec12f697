import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileOutboxStore } from './file-outbox-store.node.js';
import { Outbox } from './outbox.js';

interface Message {
  readonly topic: string;
  readonly payload: string;
  readonly correlationData?: Uint8Array;
}

describe('FileOutboxStore behind an Outbox', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'amora-outbox-'));
    path = join(dir, 'outbox.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (capacity = 100) => {
    const store = new FileOutboxStore<Message>(path);
    return { store, outbox: new Outbox<Message>({ capacity, store }) };
  };

  it('gives a new process what the last one queued and never sent, in order, bytes included', async () => {
    const first = open();
    first.outbox.push({ topic: 't/1', payload: 'one', correlationData: new Uint8Array([0, 1, 255]) });
    first.outbox.push({ topic: 't/2', payload: 'two' });
    first.outbox.push({ topic: 't/3', payload: 'three' });
    // One sent, then the connection fails: the process dies without closing anything.
    let calls = 0;
    await first.outbox.drain(async () => {
      if (++calls > 1) throw new Error('offline');
    });
    const second = open();
    expect(second.outbox.size).toBe(2);
    const seen: Message[] = [];
    await second.outbox.drain(async (message) => void seen.push(message));
    expect(seen).toEqual([
      { topic: 't/2', payload: 'two' },
      { topic: 't/3', payload: 'three' },
    ]);
    expect(statSync(path).size).toBe(0);
    expect(open().outbox.size).toBe(0);
  });

  it('keeps within capacity across restarts: drops are forgotten on disk too, and counted', () => {
    const first = open(3);
    for (let i = 0; i < 5; i++) first.outbox.push({ topic: 't', payload: String(i) });
    expect(first.outbox.stats()).toEqual({ queued: 3, dropped: 2 });
    const smaller = open(2);
    expect(smaller.outbox.stats()).toEqual({ queued: 2, dropped: 1 });
  });

  it('skips a torn last line (a crash in the middle of a write)', () => {
    const first = open();
    first.outbox.push({ topic: 't', payload: 'kept' });
    appendFileSync(path, '{"k":9,"v":{"topic":"t","payl');
    const second = open();
    expect(second.outbox.size).toBe(1);
  });

  it('rewrites the journal so it stays about as large as the live queue', async () => {
    const { outbox } = open(5_000);
    for (let i = 0; i < 2_500; i++) outbox.push({ topic: 't', payload: `message ${i}` });
    let sent = 0;
    await outbox.drain(async () => {
      if (++sent > 2_400) throw new Error('offline');
    });
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBeLessThan(1_200);
    expect(open().outbox.size).toBe(100);
  });
});
