import { EMPTY, Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import type { DeviceTransport } from '../transport/device-transport.js';
import { RateLimiter, rateLimitTelemetry } from './rate-limit.js';
import type { TelemetryBatch } from './types.js';

/** A send that does nothing, for constructor checks. */
const sendNothing = async (): Promise<void> => undefined;

function recorder(clock: ManualClock) {
  const sent: { item: number; at: number }[] = [];
  const send = vi.fn<(item: number) => Promise<void>>(async (item) => void sent.push({ item, at: clock.now() }));
  return { sent, send };
}

describe('RateLimiter', () => {
  it('sends a burst at once, then one per token interval, in arrival order', async () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 100, burst: 3, clock });
    const done = [1, 2, 3, 4, 5, 6].map((item) => limiter.submit(item));
    expect(sent.map((s) => s.item)).toEqual([1, 2, 3]);
    expect(limiter.size).toBe(3);
    clock.advance(10);
    expect(sent.map((s) => s.item)).toEqual([1, 2, 3, 4]);
    clock.advance(20);
    await Promise.all(done);
    expect(sent).toEqual([
      { item: 1, at: 0 },
      { item: 2, at: 0 },
      { item: 3, at: 0 },
      { item: 4, at: 10 },
      { item: 5, at: 20 },
      { item: 6, at: 30 },
    ]);
    expect(limiter.stats()).toEqual({ queued: 0, dropped: 0 });
  });

  it('holds AWS IoT Core\'s 100 publishes per second over any one-second window', () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 100, capacity: 10_000, clock });
    for (let i = 0; i < 1_000; i++) void limiter.submit(i);
    clock.advance(9_000);
    expect(sent).toHaveLength(1_000);
    // The bucket starts full: 100 at once, then one every 10 ms.
    for (const { at } of sent) {
      const window = sent.filter((s) => s.at >= at && s.at < at + 1_000);
      expect(window.length).toBeLessThanOrEqual(200);
    }
    const steady = sent.filter((s) => s.at >= 1_000 && s.at < 2_000);
    expect(steady).toHaveLength(100);
  });

  it('refills up to the burst only, however long it was quiet', () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 10, burst: 2, clock });
    clock.advance(60_000);
    for (const item of [1, 2, 3]) void limiter.submit(item);
    expect(sent.map((s) => s.item)).toEqual([1, 2]);
    clock.advance(99);
    expect(sent).toHaveLength(2);
    clock.advance(1);
    expect(sent.map((s) => s.item)).toEqual([1, 2, 3]);
  });

  it('rounds waits up to whole milliseconds: odd rates run at or a little below the limit, never above', () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 3, burst: 1, capacity: 100, clock });
    for (let item = 0; item < 31; item++) void limiter.submit(item);
    clock.advance(1_002);
    expect(sent.map((s) => s.at)).toEqual([0, 334, 668, 1_002]);
    clock.advance(10_000);
    expect(sent).toHaveLength(31);
    expect(sent.at(-1)!.at).toBeGreaterThanOrEqual(10_000);
    expect(sent.at(-1)!.at).toBeLessThanOrEqual(10_030);
  });

  it('never jumps the queue: a new item waits behind those already waiting even when a token is free', () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 1, burst: 1, clock });
    void limiter.submit(1);
    void limiter.submit(2);
    clock.advance(999);
    void limiter.submit(3);
    expect(sent.map((s) => s.item)).toEqual([1]);
    clock.advance(1);
    expect(sent.map((s) => s.item)).toEqual([1, 2]);
    clock.advance(1_000);
    expect(sent.map((s) => s.item)).toEqual([1, 2, 3]);
  });

  it('drops the oldest waiting item beyond capacity, rejects it as busy and reports every drop', async () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const onOverflow = vi.fn<(dropped: number, item: number) => void>();
    const limiter = new RateLimiter(send, { perSecond: 1, burst: 1, capacity: 2, onOverflow, clock });
    const results = [1, 2, 3, 4, 5].map((item) => limiter.submit(item).then(() => 'sent', (error: { code: string }) => error.code));
    expect(onOverflow.mock.calls).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(limiter.stats()).toEqual({ queued: 2, dropped: 2 });
    clock.advance(2_000);
    expect(await Promise.all(results)).toEqual(['sent', 'busy', 'busy', 'sent', 'sent']);
    expect(sent.map((s) => s.item)).toEqual([1, 4, 5]);
    expect(limiter.stats()).toEqual({ queued: 0, dropped: 2 });
  });

  it('passes a failed send back to its caller and keeps going', async () => {
    const clock = new ManualClock(0);
    const failure = new Error('publish refused');
    const limiter = new RateLimiter<number>(
      (item) => {
        if (item === 2) throw failure;
        return Promise.resolve();
      },
      { perSecond: 1, burst: 1, clock },
    );
    const first = limiter.submit(1);
    const second = limiter.submit(2);
    const third = limiter.submit(3);
    clock.advance(2_000);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toBe(failure);
    await expect(third).resolves.toBeUndefined();
  });

  it('close() rejects what waits and refuses what comes, with code closed', async () => {
    const clock = new ManualClock(0);
    const { sent, send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 1, burst: 1, clock });
    void limiter.submit(1);
    const waiting = limiter.submit(2);
    limiter.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    await expect(limiter.submit(3)).rejects.toMatchObject({ code: 'closed' });
    expect(clock.pending).toBe(0);
    clock.advance(5_000);
    expect(sent.map((s) => s.item)).toEqual([1]);
    expect(limiter.dropped).toBe(0);
  });

  it('refuses a rate or burst that could never send', () => {
    expect(() => new RateLimiter(sendNothing, { perSecond: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter(sendNothing, { perSecond: Number.NaN })).toThrow(RangeError);
    expect(() => new RateLimiter(sendNothing, { perSecond: 5, burst: 0.5 })).toThrow(RangeError);
  });

  it('keeps time with the injected clock only: no timer is armed while tokens remain', async () => {
    const clock = new ManualClock(0);
    const { send } = recorder(clock);
    const limiter = new RateLimiter(send, { perSecond: 10, burst: 5, clock });
    await Promise.all([1, 2, 3].map((item) => limiter.submit(item)));
    expect(clock.pending).toBe(0);
  });
});

const batch = (n: number): TelemetryBatch => ({ kind: 'metrics', records: [{ kind: 'metrics', data: { n }, timestamp: 0 }] });

function fakeTransport() {
  const status = new Subject<ConnectionStatus>();
  const published: number[] = [];
  const calls: string[] = [];
  const transport: DeviceTransport = {
    id: 'aws-iot',
    capabilities: { maxPayloadBytes: 128 * 1024, qos: [0, 1], retained: false, desiredState: true },
    status$: status,
    commands$: EMPTY,
    desired$: EMPTY,
    start: async () => void calls.push('start'),
    stop: async () => void calls.push('stop'),
    publishState: async () => void calls.push('state'),
    respond: async () => void calls.push('respond'),
    publishTelemetry: async (b) => void published.push((b.records[0]!.data as { n: number }).n),
  };
  return { transport, status, published, calls };
}

describe('rateLimitTelemetry', () => {
  it('delays telemetry beyond the rate and passes everything else straight through', async () => {
    const clock = new ManualClock(0);
    const { transport, published, calls } = fakeTransport();
    const limited = rateLimitTelemetry(transport, { perSecond: 2, burst: 1, clock });
    expect(limited.id).toBe('aws-iot');
    expect(limited.capabilities).toBe(transport.capabilities);
    const sends = [1, 2, 3].map((n) => limited.publishTelemetry(batch(n)));
    await limited.publishState({ state: {}, version: 1, timestamp: 0, metadata: {} }, {});
    expect(published).toEqual([1]);
    expect(calls).toEqual(['state']);
    clock.advance(1_000);
    await Promise.all(sends);
    expect(published).toEqual([1, 2, 3]);
  });

  it('hands commands and desired state through the wrapped transport\'s plain callbacks when it has them', () => {
    const { transport } = fakeTransport();
    expect(rateLimitTelemetry(transport, { perSecond: 1 }).listen).toBeUndefined();
    const seen: string[] = [];
    const listening = {
      ...transport,
      listen: (listener: { command(inbound: { payload?: unknown }): void; desired(update: { patch: object }): void }) => {
        listener.command({ payload: 'c' });
        listener.desired({ patch: {} });
        return () => seen.push('detached');
      },
    };
    const limited = rateLimitTelemetry(listening, { perSecond: 1 });
    const detach = limited.listen!({ command: () => seen.push('command'), desired: () => seen.push('desired') });
    detach();
    expect(seen).toEqual(['command', 'desired', 'detached']);
  });

  it('adds its drops to status$ outbox counts, on top of the transport\'s own', async () => {
    const clock = new ManualClock(0);
    const { transport, status } = fakeTransport();
    const onOverflow = vi.fn<(dropped: number, batch: TelemetryBatch) => void>();
    const limited = rateLimitTelemetry(transport, { perSecond: 1, burst: 1, capacity: 1, clock, onOverflow });
    const seen: ConnectionStatus[] = [];
    limited.status$.subscribe((s) => seen.push(s));
    status.next({ state: 'online', since: 0, outbox: { queued: 4, dropped: 1 } });
    const results = [1, 2, 3].map((n) => limited.publishTelemetry(batch(n)).catch((error: { code: string }) => error.code));
    expect(onOverflow).toHaveBeenCalledTimes(1);
    expect(seen.at(-1)).toEqual({ state: 'online', since: 0, outbox: { queued: 4, dropped: 2 } });
    status.next({ state: 'offline', since: 5 });
    expect(seen.at(-1)).toEqual({ state: 'offline', since: 5, outbox: { queued: 0, dropped: 1 } });
    clock.advance(1_000);
    expect(await Promise.all(results)).toEqual([undefined, 'busy', undefined]);
  });

  it('refuses waiting telemetry with closed when the transport stops', async () => {
    const clock = new ManualClock(0);
    const { transport, calls } = fakeTransport();
    const limited = rateLimitTelemetry(transport, { perSecond: 1, burst: 1, clock });
    await limited.publishTelemetry(batch(1));
    const waiting = limited.publishTelemetry(batch(2));
    await limited.stop();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect(calls).toEqual(['stop']);
  });
});
