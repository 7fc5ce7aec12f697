import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import type { LatencySummary } from './latency-recorder.js';
import { headerRow, latencyRow, passSpread, PERCENTILES_NOTE, versus } from './report-rows.js';
import type { ColdStartResult } from './cold-start.js';
import type { CommandVersionsPlan, CommandVersionsResult } from './command-versions.js';
import type { ContentSyncBenchResult } from './content-sync.js';
import { commandVersionsTable, describeCommandVersions } from './report-command-versions.js';
import { cloudSection, coldStartSection, contentSyncSection, discoverySection, mpdSection, signingSection } from './report-scenarios.js';
import type { DiscoveryResult } from './discovery.js';
import type { CloudResult, MpdResult, ReferenceResult, ScenarioResult, SigningResult } from './scenario.js';

/** One broker's passes, one per round for each side. */
export interface BrokerResult {
  readonly broker: string;
  readonly description: string;
  /** Who ran when (`rawDefaults`, `raw`, `amora`), in run order. */
  readonly order: readonly string[];
  /** mqtt.js with its default options (no TCP_NODELAY). */
  readonly rawDefaults: readonly ScenarioResult[];
  /** mqtt.js with no-delay sockets: the baseline. */
  readonly raw: readonly ScenarioResult[];
  readonly amora: readonly ScenarioResult[];
  /** Command round trips of the Nagle-safe path (cli/bench/nagle-safe.ts), on a broker with Nagle's algorithm on; one pass. */
  readonly nagleSafe?: LatencySummary;
  /** Command round trips of raw and Amora over MQTT 3.1.1 and 5, interleaved (cli/bench/command-versions.ts); not with Nagle's algorithm on. */
  readonly commandVersions?: CommandVersionsResult;
  /** The same with the devices in a process of their own. */
  readonly commandVersionsApart?: CommandVersionsResult;
}

/** How many samples each kind of row takes (after its warm-up), so a run stays a few minutes. */
export interface SamplePlan {
  /** Rounds of each broker scenario; every round runs all three sides, the order reversed each round. */
  readonly rounds: number;
  /** Latency rows on the brokers. */
  readonly brokers: { readonly samples: number; readonly warmup: number };
  /** Command round trips that wait on Nagle's algorithm (44-88 ms each): raw (dflt) everywhere, and all three on mosquitto-nagle. */
  readonly nagleBound: { readonly samples: number; readonly warmup: number };
  /** MPD, the clouds and their generic MQTT reference: paced, so the AWS transport's publish rate never waits. */
  readonly paced: { readonly samples: number; readonly warmup: number; readonly pacingMs: number };
  /** The command round trip by MQTT version on the no-delay brokers: blocks per side per round, rounds, warm-up per side. */
  readonly commandVersions: CommandVersionsPlan;
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
  readonly coldStart?: ColdStartResult;
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

/** The passes of one side as one row: each figure the median over the passes, the p50's spread after it. */
function medianSummary(passes: readonly LatencySummary[]): LatencySummary {
  const median = (of: (s: LatencySummary) => number): number => passSpread(passes.map(of)).median;
  return { samples: passes[0]?.samples ?? 0, p50: median((s) => s.p50), p95: median((s) => s.p95), p99: median((s) => s.p99), max: median((s) => s.max) };
}

function p50Spread(passes: readonly LatencySummary[]): string {
  const { min, max } = passSpread(passes.map((s) => s.p50));
  return `p50 ${min.toFixed(3)}-${max.toFixed(3)}`;
}

function brokerRows(label: string, of: (result: ScenarioResult) => LatencySummary, result: BrokerResult): string[] {
  const [rawDefaults, raw, amora] = [result.rawDefaults, result.raw, result.amora].map((passes) => passes.map(of)) as [LatencySummary[], LatencySummary[], LatencySummary[]];
  const rawMedian = medianSummary(raw);
  const amoraMedian = medianSummary(amora);
  return [
    latencyRow(label, 'raw (dflt)', medianSummary(rawDefaults), p50Spread(rawDefaults)),
    latencyRow(label, 'raw mqtt', rawMedian, p50Spread(raw)),
    latencyRow(label, 'amora', amoraMedian, `${p50Spread(amora)}; ${versus(amoraMedian, rawMedian, 'raw')}`),
  ];
}

/** `29114/s (27000-31000)`, the median of the passes' delivered messages per second, and how many a broker dropped. */
function rate(passes: readonly ScenarioResult[]): string {
  const spread = passSpread(passes.map((pass) => pass.throughputPerSecond));
  // Amora's missing messages were merged (next line of the report), not dropped.
  const lost = passes.map((pass) => (pass.patchesPerSecond === undefined ? pass.throughputSent - pass.throughputDelivered : 0));
  const dropped = Math.max(...lost) > 0 ? `, ${lost.join('/')} of ${passes[0]?.throughputSent} dropped by the broker` : '';
  return `${Math.round(spread.median)}/s (${Math.round(spread.min)}-${Math.round(spread.max)}${dropped})`;
}

const median = (passes: readonly ScenarioResult[], of: (pass: ScenarioResult) => number): number => passSpread(passes.map(of)).median;

function brokerSection(result: BrokerResult): string[] {
  const amoraRate = median(result.amora, (pass) => pass.throughputPerSecond);
  const ratio = amoraRate / median(result.raw, (pass) => pass.throughputPerSecond);
  const patches = median(result.amora, (pass) => pass.patchesPerSecond ?? Number.NaN);
  const messages = result.amora.map((pass) => pass.throughputDelivered).join('/');
  return [
    `${result.broker}: ${result.description}; ${result.amora.length} passes each, run order ${result.order.join(', ')}`,
    headerRow(),
    ...brokerRows('state update', (pass) => pass.stateLatency, result),
    ...brokerRows('command round trip', (pass) => pass.commandRoundTrip, result),
    ...(result.nagleSafe
      ? [
          latencyRow(
            'command round trip',
            'amora nagle-safe',
            result.nagleSafe,
            `one pass; commandConnection separate, qos.responses 0; ${versus(result.nagleSafe, medianSummary(result.raw.map((pass) => pass.commandRoundTrip)), 'raw')}`,
          ),
        ]
      : []),
    `  throughput, messages delivered per second (median, min-max): raw (dflt) ${rate(result.rawDefaults)}, raw ${rate(result.raw)}, amora ${rate(result.amora)}, ${ratio.toFixed(2)}x raw`,
    `    amora applied ${result.amora[0]?.throughputSent} patches at ${Math.round(patches)}/s, sent as ${messages} messages (latest state wins, the rest merged)`,
    ...(result.commandVersions ? commandVersionsTable(result.commandVersions) : []),
    ...(result.commandVersionsApart ? commandVersionsTable(result.commandVersionsApart) : []),
    '',
  ];
}

/** Says how many samples each kind of row takes, so nobody compares a 200-sample p99 with a 5,000-sample one unawares. */
export function describePlan(plan: SamplePlan): string {
  return (
    `samples per row (n): brokers ${plan.brokers.samples} back to back after ${plan.brokers.warmup} warm-up, per pass, ${plan.rounds} passes of each side; ` +
    `Nagle-bound round trips ${plan.nagleBound.samples}; ${describeCommandVersions(plan.commandVersions)}; ` +
    `MPD, clouds and their mqtt reference ${plan.paced.samples}, one every ${plan.paced.pacingMs} ms`
  );
}

/** A table a person reads; ratios against rows measured in the same run. */
export function formatReport(report: BenchReport): string {
  const lines = [
    `Amora Sync benchmark, ${report.date}`,
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.node}, load ${report.machine.loadavg.join(' ')}`,
    `${describePlan(report.plan)}; latencies in ms`,
    'raw = mqtt.js with no-delay sockets, raw (dflt) = its defaults; compare rows within a section, not across runs',
    PERCENTILES_NOTE,
    '',
  ];
  for (const result of report.results) lines.push(...brokerSection(result));
  if (report.mpd) lines.push(...mpdSection(report.mpd, report.reference));
  if (report.reference && report.clouds.length > 0) lines.push(...cloudSection(report.clouds, report.reference));
  if (report.discovery) lines.push(...discoverySection(report.discovery));
  if (report.signing) lines.push(...signingSection(report.signing));
  if (report.contentSync) lines.push(...contentSyncSection(report.contentSync));
  if (report.coldStart) lines.push(...coldStartSection(report.coldStart));
  for (const skipped of report.skipped) lines.push(`${skipped.scenario}: skipped, ${skipped.reason}`);
  return lines.join('\n');
}
