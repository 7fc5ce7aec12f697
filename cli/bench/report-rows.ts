import type { LatencySummary } from './latency-recorder.js';
import { quantile } from './round-ratios.js';

/** Table rows shared by every section of the report: one latency summary per row, in ms. */

const ms = (value: number): string => value.toFixed(3);

/**
 * The reports' header line on the two definitions behind their figures: a percentile of latency
 * samples (LatencyRecorder) and a median of passes or rounds (quantile). So a broker row's p50 is
 * the median over its passes of each pass's p50.
 */
export const PERCENTILES_NOTE =
  "p50/p95/p99 = percentiles of a pass's samples (HdrHistogram: the sample at that rank, 3 significant digits); median, IQR = of passes or rounds, interpolated; a row of several passes shows the median of their figures";

/** The column titles, aligned with latencyRow. */
export function headerRow(): string {
  return `  ${'measure'.padEnd(19)} ${'who'.padEnd(20)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(9)}`;
}

/** One row; `extra` (ratios, notes) goes after the figures. */
export function latencyRow(measure: string, who: string, summary: LatencySummary, extra = ''): string {
  const figures = [summary.p50, summary.p95, summary.p99].map((value) => ms(value).padStart(8)).join(' ');
  return `  ${measure.padEnd(19)} ${who.padEnd(20)} ${String(summary.samples).padStart(5)} ${figures} ${ms(summary.max).padStart(9)}  ${extra}`.trimEnd();
}

/** A row with no figures, saying why. */
export function noteRow(measure: string, who: string, note: string): string {
  return `  ${measure.padEnd(19)} ${who.padEnd(20)} ${note}`;
}

/** `2.10x mqtt, p50 +0.123 ms`: the p50 ratio and difference against a row measured in the same run. */
export function versus(summary: LatencySummary, reference: LatencySummary, name: string): string {
  const delta = summary.p50 - reference.p50;
  return `${(summary.p50 / reference.p50).toFixed(2)}x ${name}, p50 ${delta >= 0 ? '+' : ''}${ms(delta)} ms`;
}

/** Median (interpolated, see quantile), least and greatest of the passes a scenario alternated (raw and amora, order reversed each round). */
export function passSpread(values: readonly number[]): { median: number; min: number; max: number } {
  const sorted = values.toSorted((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted.at(-1)! };
}
