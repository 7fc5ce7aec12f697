import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { schedulerTimes, watchScheduler } from './scheduler-share.js';

// Two busy processes pinned to one core take turns on it: while one runs, the other waits. That is
// the broker's position on a machine whose cores the fleet keeps busy.
const BUSY = 'const end = Date.now() + 5000; while (Date.now() < end) {}';
// The first core this process may run on (a container's cpuset need not include core 0).
const CORE = /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
const children: ChildProcess[] = [];

function busyOnOneCore(): ChildProcess {
  const child = spawn('taskset', ['-c', CORE, process.execPath, '-e', BUSY], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** CPU time the kernel charged the process (user + system), ms, to 10 ms: an independent reading of "ran". */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
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
  it('counts the time a process runs, and as waiting the time another holds its only core', async () => {
    const first = busyOnOneCore();
    await new Promise((resolve) => setTimeout(resolve, 300)); // started and spinning
    const cpuBefore = cpuMs(first.pid!);
    const firstStart = performance.now();
    const firstWindow = watchScheduler(first.pid);
    await new Promise((resolve) => setTimeout(resolve, 400)); // the core to itself
    const second = busyOnOneCore();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const secondStart = performance.now();
    const secondWindow = watchScheduler(second.pid);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the core shared
    const b = secondWindow.stop()!;
    const a = firstWindow.stop()!;
    const end = performance.now();
    const cpuAfter = cpuMs(first.pid!);

    // What "ran" says agrees with the CPU time the kernel charged (in 10 ms ticks), over a window
    // the first had partly to itself, so that its running and waiting differ.
    expect(Math.abs(a.running * (end - firstStart) - (cpuAfter - cpuBefore))).toBeLessThan(60);
    // The second shared the core the whole time: always runnable, it ran or waited, about half each.
    expect(b.running + b.waiting).toBeGreaterThan(0.9);
    expect(b.waiting).toBeGreaterThan(0.25);
    expect(b.running).toBeLessThan(0.75);
    // Every moment the second ran, the first waited.
    expect(a.waiting * (end - firstStart)).toBeGreaterThan(0.8 * b.running * (end - secondStart));
  });

  it('gives nothing for a process that is gone', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    expect(schedulerTimes(child.pid!)).toBeUndefined();
    expect(watchScheduler(undefined).stop()).toBeUndefined();
  });
});
