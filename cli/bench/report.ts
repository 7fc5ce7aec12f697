import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import type { LatencySummary } from './latency-recorder.js';
import type { ScenarioResult } from './scenario.js';

export interface BrokerResult {
  readonly broker: string;
  readonly description: string;
  /** mqtt.js with its default options (no TCP_NODELAY). */
  readonly rawDefaults: ScenarioResult;
  /** mqtt.js with no-delay sockets: the baseline. */
  readonly raw: ScenarioResult;
  readonly amora: ScenarioResult;
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { os: string; cpu: string; cores: number; memoryGiB: number; node: string; loadavg: number[] };
  readonly samples: number;
  readonly results: readonly BrokerResult[];
  readonly skipped: readonly { broker: string; reason: string }[];
}

export function machineInfo(): BenchReport['machine'] {
  return {
    os: `${osType()} ${release()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const ms = (value: number) => value.toFixed(3);

function latencyRows(label: string, rawDefaults: LatencySummary, raw: LatencySummary, amora: LatencySummary): string[] {
  const row = (who: string, s: LatencySummary, extra: string) =>
    `  ${label.padEnd(18)} ${who.padEnd(10)} ${ms(s.p50).padStart(8)} ${ms(s.p95).padStart(8)} ${ms(s.p99).padStart(8)} ${ms(s.max).padStart(9)}  ${extra}`;
  const delta = amora.p50 - raw.p50;
  return [
    row('raw (dflt)', rawDefaults, ''),
    row('raw mqtt', raw, ''),
    row('amora', amora, `p50 ${delta >= 0 ? '+' : ''}${ms(delta)} ms vs raw, ${(amora.p50 / raw.p50).toFixed(2)}x`),
  ];
}

/** A table a person reads; ratios against raw mqtt.js measured in the same run. */
export function formatReport(report: BenchReport): string {
  const lines = [
    `Amora Sync benchmark, ${report.date}`,
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.node}, load ${report.machine.loadavg.join(' ')}`,
    `${report.samples} samples per latency row (ms); raw = mqtt.js with no-delay sockets, raw (dflt) = its defaults;`,
    'compare rows within a broker, not across runs',
    '',
  ];
  for (const result of report.results) {
    lines.push(`${result.broker}: ${result.description}`);
    lines.push(`  ${'measure'.padEnd(18)} ${'who'.padEnd(10)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(9)}`);
    lines.push(...latencyRows('state update', result.rawDefaults.stateLatency, result.raw.stateLatency, result.amora.stateLatency));
    lines.push(...latencyRows('command round trip', result.rawDefaults.commandRoundTrip, result.raw.commandRoundTrip, result.amora.commandRoundTrip));
    const ratio = result.amora.throughputPerSecond / result.raw.throughputPerSecond;
    lines.push(
      `  throughput         raw (dflt) ${Math.round(result.rawDefaults.throughputPerSecond)}/s, raw ${Math.round(result.raw.throughputPerSecond)}/s, amora ${Math.round(result.amora.throughputPerSecond)}/s (${(ratio * 100).toFixed(0)}% of raw; ${result.amora.throughputDelivered} of ${result.raw.throughputDelivered} updates sent as messages, the rest merged)`,
      '',
    );
  }
  for (const skipped of report.skipped) lines.push(`${skipped.broker}: skipped, ${skipped.reason}`);
  return lines.join('\n');
}
