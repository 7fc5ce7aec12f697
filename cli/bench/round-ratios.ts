/**
 * Ratios between sides measured in the same rounds. On a machine whose speed drifts between
 * rounds, a ratio of two blocks run back to back in one round cancels the drift that a ratio of
 * whole-run figures keeps; the median of the rounds' ratios, with their interquartile range, says
 * how steady that ratio is.
 */

/** The median and quartiles of the per-round ratios. */
export interface RatioSpread {
  readonly median: number;
  /** 25th percentile. */
  readonly q1: number;
  /** 75th percentile. */
  readonly q3: number;
  /** Rounds the ratios come from. */
  readonly rounds: number;
}

/**
 * The value at fraction `p` (0-1) of ascending `sorted` values, interpolated linearly between the
 * two nearest (so the median of an even count is the mean of the middle two). Only for figures of
 * whole passes or rounds (the medians of passes' p50s, rates and times; the per-round ratios'
 * median and IQR) and for a window's few dozen collector pauses; a percentile of latency samples
 * is LatencyRecorder's.
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * p;
  const below = Math.floor(at);
  const low = sorted[below]!;
  const high = sorted[Math.min(below + 1, sorted.length - 1)]!;
  return low + (high - low) * (at - below);
}

/** `numerator[i] / denominator[i]` for each round i (both measured in round i), summarised. */
export function roundRatios(numerator: readonly number[], denominator: readonly number[]): RatioSpread {
  if (numerator.length !== denominator.length) {
    throw new Error(`per-round ratios need one figure per round on each side (${numerator.length} vs ${denominator.length})`);
  }
  const ratios = numerator.map((value, round) => value / denominator[round]!).toSorted((a, b) => a - b);
  return { median: quantile(ratios, 0.5), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75), rounds: ratios.length };
}
