import { describe, expect, it } from 'vitest';
import type { Lifecycle } from './lifecycle.js';
import { LifecycleManager } from './lifecycle-manager.js';

interface Probe extends Lifecycle {
  readonly signals: AbortSignal[];
  /** Resolves when start() has been called. */
  readonly entered: Promise<void>;
}

function component(id: string, log: string[], behaviour: { failStart?: boolean; failStop?: boolean; hang?: boolean } = {}): Probe {
  const signals: AbortSignal[] = [];
  let enter!: () => void;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  return {
    id,
    signals,
    entered,
    async start(signal) {
      signals.push(signal);
      enter();
      log.push(`start ${id}`);
      if (behaviour.failStart) throw new Error(`${id} cannot start`);
      if (behaviour.hang) await new Promise<void>(() => undefined);
    },
    async stop() {
      log.push(`stop ${id}`);
      if (behaviour.failStop) throw new Error(`${id} cannot stop`);
    },
  };
}

describe('LifecycleManager', () => {
  it('starts in order and stops in reverse order', async () => {
    const log: string[] = [];
    const manager = new LifecycleManager([component('a', log), component('b', log), component('c', log)]);
    const result = await manager.start();
    expect(result).toEqual({ started: ['a', 'b', 'c'], failed: [] });
    expect(manager.status['b']?.phase).toBe('running');
    await manager.stop();
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(Object.values(manager.status).map((s) => s.phase)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('isolates a failing start: the rest still start and the failure is reported', async () => {
    const log: string[] = [];
    const manager = new LifecycleManager([component('a', log), component('b', log, { failStart: true }), component('c', log)]);
    const result = await manager.start();
    expect(result.started).toEqual(['a', 'c']);
    expect(result.failed).toEqual([{ id: 'b', error: { code: 'unavailable', message: 'b cannot start' } }]);
    expect(manager.status['b']).toMatchObject({ phase: 'failed', error: { message: 'b cannot start' } });
    expect(manager.status['c']?.phase).toBe('running');
  });

  it('isolates a failing stop: every component is still stopped', async () => {
    const log: string[] = [];
    const manager = new LifecycleManager([component('a', log), component('b', log, { failStop: true }), component('c', log)]);
    await manager.start();
    await manager.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
    expect(manager.status['b']).toMatchObject({ phase: 'stopped', error: { message: 'b cannot stop' } });
  });

  it('abort during start stops what started and rejects with the reason', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const hanging = component('b', log, { hang: true });
    const manager = new LifecycleManager([component('a', log), hanging, component('c', log)]);
    const starting = manager.start(controller.signal);
    await hanging.entered;
    controller.abort(new Error('cancelled by user'));
    await expect(starting).rejects.toThrow('cancelled by user');
    expect(log).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(hanging.signals[0]?.aborted).toBe(true);
  });

  it('an already aborted signal starts nothing', async () => {
    const log: string[] = [];
    const manager = new LifecycleManager([component('a', log)]);
    await expect(manager.start(AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(log).toEqual([]);
  });

  it('stop() during start cancels the remaining starts', async () => {
    const log: string[] = [];
    const hanging = component('a', log, { hang: true });
    const manager = new LifecycleManager([hanging, component('b', log)]);
    const starting = manager.start();
    await hanging.entered;
    await manager.stop();
    await expect(starting).rejects.toThrow('stopped');
    expect(log).toEqual(['start a', 'stop a']);
  });

  it('stop is idempotent and publishes statuses', async () => {
    const log: string[] = [];
    const manager = new LifecycleManager([component('a', log)]);
    const phases: string[] = [];
    const subscription = manager.status$.subscribe((s) => phases.push(s['a']?.phase ?? ''));
    await manager.start();
    await Promise.all([manager.stop(), manager.stop()]);
    subscription.unsubscribe();
    expect(log).toEqual(['start a', 'stop a']);
    expect(phases).toEqual(['idle', 'starting', 'running', 'stopping', 'stopped']);
  });

  it('refuses duplicate ids', () => {
    expect(() => new LifecycleManager([component('a', []), component('a', [])])).toThrow('duplicate');
  });
});
