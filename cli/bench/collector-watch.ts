import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { quantile } from './round-ratios.js';

/**
 * What V8's garbage collector did in a process over a window: the fleet's devices process while it
 * sends. At thousands of agents in one process a scavenge's pause delays every update due during
 * it, and what each update leaves alive past a scavenge is copied, promoted, and later marked and
 * swept; so the pauses and the old generation's growth explain a CPU or latency figure that the
 * code's own work does not (docs/benchmarks.md, "Ten thousand agents in one process").
 */
export interface CollectorFigures {
  /** Young-generation collections (scavenges): how many, and their pauses, ms. */
  readonly minor: PauseFigures;
  /** Full collections (mark-compact, their final pause). */
  readonly major: PauseFigures;
  /** Incremental marking steps and weak callbacks, on the main thread. */
  readonly other: PauseFigures;
  /**
   * Bytes the old generation (old and large-object spaces) grew by: what the window's objects
   * left there by being promoted or allocated old, less what a full collection freed meanwhile.
   */
  readonly oldGrowthBytes: number;
}

export interface PauseFigures {
  readonly count: number;
  readonly totalMs: number;
  readonly medianMs: number;
  readonly maxMs: number;
}

const OLD_SPACES = new Set(['old_space', 'large_object_space']);

function oldGenerationUsed(): number {
  return getHeapSpaceStatistics().reduce((sum, space) => (OLD_SPACES.has(space.space_name) ? sum + space.space_used_size : sum), 0);
}

/** NODE_PERFORMANCE_GC_MINOR, _MAJOR, ... (Node puts it in a gc entry's `detail`). */
function kindOf(entry: PerformanceEntry): number | undefined {
  return (entry as PerformanceEntry & { readonly detail?: { readonly kind?: number } }).detail?.kind;
}

function pauses(entries: readonly PerformanceEntry[]): PauseFigures {
  const durations = entries.map((entry) => entry.duration).toSorted((a, b) => a - b);
  return {
    count: durations.length,
    totalMs: durations.reduce((sum, ms) => sum + ms, 0),
    medianMs: durations.length === 0 ? 0 : quantile(durations, 0.5),
    maxMs: durations.length === 0 ? 0 : durations[durations.length - 1]!,
  };
}

/**
 * Starts watching; `stop()` ends the window and resolves with its figures. Node delivers `gc`
 * entries to observers a turn of the event loop after the collection, so `stop()` waits one
 * timer turn and leaves out the collections that began after it was called.
 */
export function watchCollector(): { stop(): Promise<CollectorFigures> } {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const oldBefore = oldGenerationUsed();
  return {
    async stop() {
      const until = performance.now();
      const oldGrowthBytes = oldGenerationUsed() - oldBefore;
      await new Promise((resolve) => setTimeout(resolve, 0));
      observer.disconnect();
      // Only collections since observe() have entries; those that began once stop() was called are not the window's.
      const inWindow = entries.filter((entry) => entry.startTime <= until);
      const of = (wanted: (kind: number | undefined) => boolean): PauseFigures => pauses(inWindow.filter((entry) => wanted(kindOf(entry))));
      const { NODE_PERFORMANCE_GC_MINOR: MINOR, NODE_PERFORMANCE_GC_MAJOR: MAJOR } = constants;
      return {
        minor: of((kind) => kind === MINOR),
        major: of((kind) => kind === MAJOR),
        other: of((kind) => kind !== MINOR && kind !== MAJOR),
        oldGrowthBytes,
      };
    },
  };
}
