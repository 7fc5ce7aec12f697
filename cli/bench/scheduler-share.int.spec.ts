import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { schedulerTimes, watchScheduler } from './scheduler-share.js';

// Two busy processes pinned to one core take turns on it: each waits for the core about half the
// time. That is the broker's position on a machine whose cores the fleet keeps busy.
const BUSY = 'const end = Date.now() + 5000; while (Date.now() < end) {}';
const children: ChildProcess[] = [];

function busyOnCpu0(): ChildProcess {
  const child = spawn('taskset', ['-c', '0', process.execPath, '-e', BUSY], { stdio: 'ignore' });
  children.push(child);
  return child;
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

describe('bench: scheduler figures of a real process', () => {
  it('counts the time a process runs, and the time it waits while another holds its only core', async () => {
    const alone = busyOnCpu0();
    await new Promise((resolve) => setTimeout(resolve, 300)); // node started and spinning
    const aloneWindow = watchScheduler(alone.pid);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const aloneShares = aloneWindow.stop();
    expect(aloneShares?.running).toBeGreaterThan(0.6);

    const rival = busyOnCpu0();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sharedWindow = watchScheduler(alone.pid);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const shared = sharedWindow.stop();
    expect(rival.pid).toBeDefined();
    // Alone it barely waited; beside the rival it waits a large share of the window.
    expect(shared?.waiting).toBeGreaterThan(0.25);
    expect(shared!.waiting).toBeGreaterThan(aloneShares!.waiting + 0.2);
  });

  it('gives nothing for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    expect(schedulerTimes(child.pid!)).toBeUndefined();
    expect(watchScheduler(undefined).stop()).toBeUndefined();
  });
});
