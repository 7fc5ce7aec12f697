import hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly samples: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Records latencies in ms with microsecond resolution (HdrHistogram) and summarises them. Every
 * percentile of samples in the reports is this one (the sample at rank ceil(p% of n), to 3
 * significant digits): the p50/p95/p99 columns, each pass's figures, the command-version blocks' p50.
 */
export class LatencyRecorder {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const at = (p: number) => this.histogram.getValueAtPercentile(p) / 1000;
    return { samples: this.histogram.totalCount, p50: at(50), p95: at(95), p99: at(99), max: this.histogram.maxValue / 1000 };
  }
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
