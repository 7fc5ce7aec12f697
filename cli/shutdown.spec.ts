import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onShutdown, type ShutdownHost } from './shutdown.js';

class FakeProcess extends EventEmitter implements ShutdownHost {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

/** A stop() the test settles by hand. */
function pendingStop() {
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const settled = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  let calls = 0;
  return {
    stop: (): Promise<void> => {
      calls++;
      return settled;
    },
    calls: (): number => calls,
    resolve: (): void => settle.resolve(),
    reject: (error: Error): void => settle.reject(error),
  };
}

/** Lets the promise callbacks onShutdown chained run. */
const settledCallbacks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('onShutdown', () => {
  it('stops once on SIGTERM and exits 0 when stop settles', async () => {
    const host = new FakeProcess();
    const control = pendingStop();
    onShutdown(control.stop, () => undefined, host);
    host.emit('SIGTERM', 'SIGTERM');
    expect(control.calls()).toBe(1);
    expect(host.exits).toEqual([]);
    control.resolve();
    await settledCallbacks();
    expect(host.exits).toEqual([0]);
  });

  it('exits 130 at once on a second signal while stopping', () => {
    const host = new FakeProcess();
    const lines: string[] = [];
    const control = pendingStop();
    onShutdown(control.stop, (line) => lines.push(line), host);
    host.emit('SIGINT', 'SIGINT');
    host.emit('SIGINT', 'SIGINT');
    expect(control.calls()).toBe(1);
    expect(host.exits).toEqual([130]);
    expect(lines).toEqual(['SIGINT again: exiting without waiting']);
  });

  it('says why stopping failed and exits 1', async () => {
    const host = new FakeProcess();
    const lines: string[] = [];
    const control = pendingStop();
    onShutdown(control.stop, (line) => lines.push(line), host);
    host.emit('SIGINT', 'SIGINT');
    control.reject(new Error('broker close failed'));
    await settledCallbacks();
    expect(host.exits).toEqual([1]);
    expect(lines).toEqual(['shutdown failed: broker close failed']);
  });
});
