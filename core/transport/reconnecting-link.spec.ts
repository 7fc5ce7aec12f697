import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AmoraError, AuthenticationError, TransportError } from '../errors.js';
import { silentLogger } from '../logging/logger.js';
import type { ConnectionStatus } from './connection-status.js';
import { ExponentialBackoffRetryPolicy } from './exponential-backoff.js';
import { ReconnectingLink } from './reconnecting-link.js';

/** A link whose attempts the test settles by hand: a stand-in for a socket to some endpoint. */
class ScriptedLink extends ReconnectingLink {
  readonly attempts: string[] = [];
  readonly goodbyes: string[] = [];
  private pending: { resolve(value: { sessionPresent: boolean }): void; reject(error: unknown): void } | undefined;
  lose: ((error: unknown) => void) | undefined;

  constructor(endpoints: readonly string[], clock: ManualClock) {
    super({ name: 'test', endpoints, setupFailure: 'report' }, { retryPolicy: new ExponentialBackoffRetryPolicy({ initialMs: 100, maxMs: 100, jitter: 0 }), clock, logger: silentLogger });
  }

  accept(): void {
    this.pending?.resolve({ sessionPresent: false });
  }

  refuse(error: unknown): void {
    this.pending?.reject(error);
  }

  protected open(endpoint: string, lost: (error: unknown) => void): Promise<{ sessionPresent: boolean }> {
    this.attempts.push(endpoint);
    this.lose = lost;
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }

  protected shutdown(): Promise<void> {
    this.refuse(new TransportError('closed', 'stopped'));
    return Promise.resolve();
  }

  protected describeFailure(error: unknown): AmoraError {
    return error instanceof AmoraError ? error : new TransportError('unavailable', String(error));
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function record(link: ReconnectingLink): ConnectionStatus[] {
  const statuses: ConnectionStatus[] = [];
  link.status$.subscribe((status) => statuses.push(status));
  return statuses;
}

describe('ReconnectingLink', () => {
  it('settles start() on a failed first attempt and keeps retrying with backoff until it connects', async () => {
    const clock = new ManualClock();
    const link = new ScriptedLink(['a'], clock);
    const statuses = record(link);
    const started = link.start(new AbortController().signal);
    link.refuse(new TransportError('unavailable', 'connect ECONNREFUSED'));
    await started;
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', error: { code: 'unavailable' }, endpoint: 'a' });
    clock.advance(100);
    await flush();
    expect(link.attempts).toEqual(['a', 'a']);
    link.accept();
    await flush();
    expect(link.online).toBe(true);
    expect(statuses.at(-1)).toMatchObject({ state: 'online' });
  });

  it('does not retry refused credentials', async () => {
    const clock = new ManualClock();
    const link = new ScriptedLink(['a'], clock);
    const statuses = record(link);
    const started = link.start(new AbortController().signal);
    link.refuse(new AuthenticationError('not authorized'));
    await started;
    clock.advance(10_000);
    await flush();
    expect(link.attempts).toEqual(['a']);
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', error: { code: 'authentication_failed' } });
  });

  it('moves to the next endpoint after a failure or a loss, naming it in the status', async () => {
    const clock = new ManualClock();
    const link = new ScriptedLink(['primary', 'standby'], clock);
    const statuses = record(link);
    void link.start(new AbortController().signal);
    link.accept();
    await flush();
    expect(statuses.at(-1)).toMatchObject({ state: 'online', endpoint: 'primary' });
    link.lose?.(new Error('socket closed'));
    await flush();
    clock.advance(100);
    await flush();
    expect(link.attempts).toEqual(['primary', 'standby']);
    link.accept();
    await flush();
    expect(statuses.at(-1)).toMatchObject({ state: 'online', endpoint: 'standby' });
  });

  it('runs the goodbye only while connected, stops retrying, and ends closed', async () => {
    const clock = new ManualClock();
    const link = new ScriptedLink(['a'], clock);
    const statuses = record(link);
    void link.start(new AbortController().signal);
    link.accept();
    await flush();
    let said = 0;
    await link.stop(async () => void said++);
    await link.stop(async () => void said++);
    clock.advance(10_000);
    await flush();
    expect(said).toBe(1);
    expect(link.attempts).toEqual(['a']);
    expect(statuses.at(-1)).toMatchObject({ state: 'closed' });
  });
});
