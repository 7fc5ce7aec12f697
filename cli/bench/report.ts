import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import type { LatencySummary } from './latency-recorder.js';
import { headerRow, latencyRow, versus } from './report-rows.js';
import type { ContentSyncBenchResult } from './content-sync.js';
import { cloudSection, contentSyncSection, discoverySection, mpdSection, signingSection } from './report-scenarios.js';
import type { DiscoveryResult } from './discovery.js';
import type { CloudResult, MpdResult, ReferenceResult, ScenarioResult, SigningResult } from './scenario.js';

export interface BrokerResult {
  readonly broker: string;
  readonly description: string;
  /** mqtt.js with its default options (no TCP_NODELAY). */
  readonly rawDefaults: ScenarioResult;
  /** mqtt.js with no-delay sockets: the baseline. */
  readonly raw: ScenarioResult;
  readonly amora: ScenarioResult;
  /** Command round trips of the Nagle-safe path (cli/bench/nagle-safe.ts), on a broker with Nagle's algorithm on. */
  readonly nagleSafe?: LatencySummary;
}

/** How many samples each kind of row takes (after its warm-up), so a run stays a few minutes. */
export interface SamplePlan {
  /** Latency rows on the brokers. */
  readonly brokers: { readonly samples: number; readonly warmup: number };
  /** Command round trips that wait on Nagle's algorithm (44-88 ms each): raw (dflt) everywhere, and all three on mosquitto-nagle. */
  readonly nagleBound: { readonly samples: number; readonly warmup: number };
  /** MPD, the clouds and their generic MQTT reference: paced, so the AWS transport's publish rate never waits. */
  readonly paced: { readonly samples: number; readonly warmup: number; readonly pacingMs: number };
}

export interface BenchReport {
  readonly date: string;
  readonly machine: { os: string; cpu: string; cores: number; memoryGiB: number; node: string; loadavg: number[] };
  /** `--samples` as given. */
  readonly samples: number;
  readonly plan: SamplePlan;
  readonly results: readonly BrokerResult[];
  /** Generic MQTT measured like the MPD and cloud rows, when any of them ran. */
  readonly reference?: ReferenceResult;
  readonly mpd?: MpdResult;
  readonly clouds: readonly CloudResult[];
  readonly discovery?: DiscoveryResult;
  readonly signing?: SigningResult;
  readonly contentSync?: ContentSyncBenchResult;
  readonly skipped: readonly { scenario: string; reason: string }[];
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

function brokerRows(label: string, rawDefaults: LatencySummary, raw: LatencySummary, amora: LatencySummary): string[] {
  return [
    latencyRow(label, 'raw (dflt)', rawDefaults),
    latencyRow(label, 'raw mqtt', raw),
    latencyRow(label, 'amora', amora, versus(amora, raw, 'raw')),
  ];
}

/** `29114/s`, and how many messages never arrived when some did not. */
function rate(result: ScenarioResult): string {
  const lost = result.throughputSent - result.throughputDelivered;
  return `${Math.round(result.throughputPerSecond)}/s${lost > 0 ? ` (${lost} of ${result.throughputSent} dropped by the broker)` : ''}`;
}

function brokerSection(result: BrokerResult): string[] {
  const ratio = result.amora.throughputPerSecond / result.raw.throughputPerSecond;
  return [
    `${result.broker}: ${result.description}`,
    headerRow(),
    ...brokerRows('state update', result.rawDefaults.stateLatency, result.raw.stateLatency, result.amora.stateLatency),
    ...brokerRows('command round trip', result.rawDefaults.commandRoundTrip, result.raw.commandRoundTrip, result.amora.commandRoundTrip),
    ...(result.nagleSafe
      ? [latencyRow('command round trip', 'amora nagle-safe', result.nagleSafe, `commandConnection separate, qos.responses 0; ${versus(result.nagleSafe, result.raw.commandRoundTrip, 'raw')}`)]
      : []),
    `  throughput          raw (dflt) ${rate(result.rawDefaults)}, raw ${rate(result.raw)}, ` +
      `amora ${Math.round(result.amora.throughputPerSecond)}/s (${(ratio * 100).toFixed(0)}% of raw; ${result.amora.throughputSent} patches sent as ${result.amora.throughputDelivered} messages, the rest merged)`,
    '',
  ];
}

/** Says how many samples each kind of row takes, so nobody compares a 200-sample p99 with a 5,000-sample one unawares. */
export function describePlan(plan: SamplePlan): string {
  return (
    `samples per row (n): brokers ${plan.brokers.samples} back to back after ${plan.brokers.warmup} warm-up; ` +
    `Nagle-bound round trips ${plan.nagleBound.samples}; MPD, clouds and their mqtt reference ${plan.paced.samples}, one every ${plan.paced.pacingMs} ms`
  );
}

/** A table a person reads; ratios against rows measured in the same run. */
export function formatReport(report: BenchReport): string {
  const lines = [
    `Amora Sync benchmark, ${report.date}`,
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.node}, load ${report.machine.loadavg.join(' ')}`,
    `${describePlan(report.plan)}; latencies in ms`,
    'raw = mqtt.js with no-delay sockets, raw (dflt) = its defaults; compare rows within a section, not across runs',
    '',
  ];
  for (const result of report.results) lines.push(...brokerSection(result));
  if (report.mpd) lines.push(...mpdSection(report.mpd, report.reference));
  if (report.reference && report.clouds.length > 0) lines.push(...cloudSection(report.clouds, report.reference));
  if (report.discovery) lines.push(...discoverySection(report.discovery));
  if (report.signing) lines.push(...signingSection(report.signing));
  if (report.contentSync) lines.push(...contentSyncSection(report.contentSync));
  for (const skipped of report.skipped) lines.push(`${skipped.scenario}: skipped, ${skipped.reason}`);
  return lines.join('\n');
}
