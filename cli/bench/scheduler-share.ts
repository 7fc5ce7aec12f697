import { readFileSync } from 'node:fs';

/**
 * How long a thread ran on a core and how long it waited, runnable, for one: Linux's schedstat, in
 * nanoseconds. On a machine whose cores the broker, the devices and the subscribers share, a
 * thread kept waiting holds back every message it would handle meanwhile, which shows in the
 * fleet's latencies (docs/benchmarks.md, "Ten thousand agents in one process").
 */
export interface SchedulerTimes {
  readonly runNs: number;
  readonly waitNs: number;
}

/** Over a window, as shares of the window's time. */
export interface SchedulerShares {
  readonly running: number;
  readonly waiting: number;
}

/** The first two fields of a `/proc/<pid>/schedstat` line: ns on a core, ns on a run queue. */
export function parseSchedstat(line: string): SchedulerTimes | undefined {
  const [run, wait] = line.trim().split(/\s+/, 2).map(Number);
  return run !== undefined && wait !== undefined && Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run, waitNs: wait } : undefined;
}

/**
 * The process's main thread now (`/proc/<pid>/schedstat`): the broker's only thread, the devices
 * process's event loop, whose waits delay every update due meanwhile. Undefined when the process
 * is gone or the system has no schedstat (not Linux).
 */
export function schedulerTimes(pid: number): SchedulerTimes | undefined {
  try {
    return parseSchedstat(readFileSync(`/proc/${pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** What happened between two readings `elapsedMs` apart, as shares of that time. */
export function schedulerShares(before: SchedulerTimes | undefined, after: SchedulerTimes | undefined, elapsedMs: number): SchedulerShares | undefined {
  if (!before || !after || elapsedMs <= 0) return undefined;
  const share = (ns: number): number => Math.max(0, ns) / 1e6 / elapsedMs;
  return { running: share(after.runNs - before.runNs), waiting: share(after.waitNs - before.waitNs) };
}

/** Starts a window over one process (none when `pid` is undefined); `stop()` ends it with its shares. */
export function watchScheduler(pid: number | undefined): { stop(): SchedulerShares | undefined } {
  const start = performance.now();
  const before = pid === undefined ? undefined : schedulerTimes(pid);
  return {
    stop: () => (pid === undefined ? undefined : schedulerShares(before, schedulerTimes(pid), performance.now() - start)),
  };
}
