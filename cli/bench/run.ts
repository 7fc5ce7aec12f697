import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { createBuiltinRegistry } from '../builtins.js';
import { runAmora } from './amora.js';
import { runAws } from './aws.js';
import { runAzure } from './azure.js';
import { runColdStart, type ColdStartResult } from './cold-start.js';
import { runCommandVersions } from './command-versions.js';
import type { ContentSyncBenchResult } from './content-sync.js';
import { runDiscovery, type DiscoveryResult } from './discovery.js';
import { BROKER_NAMES, startBenchBroker, type BrokerName } from './brokers.js';
import { mpdMissing, runMpd } from './mpd.js';
import { measureMqttReference } from './mqtt-reference.js';
import { runNagleSafeCommands } from './nagle-safe.js';
import { runRawMqtt } from './raw-mqtt.js';
import { alternatingRounds } from './rounds.js';
import { runSigning } from './signing.js';
import { describePlan, formatReport, machineInfo, type BenchReport, type BrokerResult, type SamplePlan } from './report.js';
import type { CloudResult, MpdResult, ScenarioOptions, ScenarioResult, SigningResult } from './scenario.js';

/** Everything `--only` can name; the default runs them all (each skips itself, saying why, when it cannot run). */
export const SCENARIO_NAMES = [...BROKER_NAMES, 'mpd', 'azure', 'aws', 'discovery', 'signing', 'content-sync', 'cold-start'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface BenchOptions {
  readonly samples: number;
  /** Rounds of the broker scenarios (each runs all three, the order reversed every round); default 2. */
  readonly rounds?: number;
  readonly jsonPath?: string;
  readonly only?: readonly string[];
}

/** Paced rows are spaced so the AWS transport's publish limit (50/s by default, 100/s in the bench target) never holds one back. */
const PACING_MS = 20;

/** The fleet a fresh controller discovers: the size at which quadratic discovery took seconds. */
const DISCOVERY_DEVICES = 10_000;

/** Sample counts per kind of row: the default run (5,000) takes a few minutes on 2 cores. */
export function samplePlan(samples: number, rounds = 2): SamplePlan {
  const n = Math.max(samples, 100);
  return {
    rounds,
    brokers: { samples: n, warmup: Math.max(500, Math.ceil(n / 10)) },
    nagleBound: { samples: Math.min(n, 200), warmup: 20 },
    paced: { samples: Math.min(n, 500), warmup: 50, pacingMs: PACING_MS },
    // 100 rounds of 100 at 5,000: 15-20 s a broker on 2 cores; --samples 100 gives 2 rounds of 10.
    commandVersions: { block: Math.min(100, Math.ceil(n / 10)), rounds: Math.max(2, Math.floor(n / 50)), warmup: Math.min(500, n) },
  };
}

/**
 * Runs raw mqtt.js and Amora Sync through each broker, then MPD and the clouds beside a generic
 * MQTT reference, in one process and one run, so their figures are comparable as ratios on a noisy
 * machine. On each broker: raw mqtt.js with its defaults, raw mqtt.js with no-delay sockets (the
 * baseline Amora is held to), then Amora, each with its own warm-up.
 */
export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const selected = selectScenarios(options.only);
  const plan = samplePlan(options.samples, options.rounds);
  process.stderr.write(`${describePlan(plan)}\n`);
  const registry = createBuiltinRegistry();
  const skipped: { scenario: string; reason: string }[] = [];
  const results: BrokerResult[] = [];
  for (const name of BROKER_NAMES.filter((broker) => selected.has(broker))) {
    const result = await runBroker(registry, name, plan);
    if (typeof result === 'string') skipped.push({ scenario: name, reason: result });
    else results.push(result);
  }

  // The reference is only worth its half minute when a scenario will stand beside it.
  const paced = (selected.has('mpd') && mpdMissing() === undefined) || selected.has('azure') || selected.has('aws');
  if (paced) process.stderr.write('mqtt reference (paced)...\n');
  const reference = paced ? await measureMqttReference(registry, plan.paced) : undefined;
  // One failing scenario is reported and the run goes on, so the others' figures are not lost.
  const attempt = async <T>(name: ScenarioName, run: () => Promise<T | string>): Promise<T | undefined> => {
    if (!selected.has(name)) return undefined;
    process.stderr.write(`${name}...\n`);
    try {
      const outcome = await run();
      if (typeof outcome !== 'string') return outcome;
      skipped.push({ scenario: name, reason: outcome });
    } catch (error) {
      process.exitCode = 1;
      skipped.push({ scenario: name, reason: `FAILED: ${error instanceof Error ? error.message : String(error)}` });
    }
    return undefined;
  };
  const mpd = await attempt<MpdResult>('mpd', () => runMpd(registry, plan.paced));
  const azure = await attempt<CloudResult>('azure', () => runAzure(registry, plan.paced));
  const aws = await attempt<CloudResult[]>('aws', () => runAws(registry, plan.paced));
  const clouds: CloudResult[] = [...(azure ? [azure] : []), ...(aws ?? [])];
  const discovery = await attempt<DiscoveryResult>('discovery', () => runDiscovery(registry, DISCOVERY_DEVICES));
  const signing = await attempt<SigningResult>('signing', () => runSigning(registry, plan.paced));
  // Imported on use: it needs @azure/storage-blob and azurite, which an installed amora-sync may lack.
  const contentSync = await attempt<ContentSyncBenchResult>('content-sync', () =>
    import('./content-sync.js').then(
      (scenario) => scenario.runContentSync(),
      (error: unknown) => `needs @azure/storage-blob and azurite (${error instanceof Error ? error.message : String(error)})`,
    ),
  );

  const coldStart = await attempt<ColdStartResult>('cold-start', () => runColdStart());

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    samples: options.samples,
    plan,
    results,
    ...(reference ? { reference } : {}),
    ...(mpd ? { mpd } : {}),
    clouds,
    ...(discovery ? { discovery } : {}),
    ...(signing ? { signing } : {}),
    ...(contentSync ? { contentSync } : {}),
    ...(coldStart ? { coldStart } : {}),
    skipped,
  };
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.jsonPath) {
    await mkdir(dirname(options.jsonPath), { recursive: true });
    await writeFile(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`JSON: ${options.jsonPath}\n`);
  }
  return report;
}

/** The scenarios `--only` names (all of them without it); throws naming the choices on an unknown one. */
export function selectScenarios(only: readonly string[] | undefined): ReadonlySet<ScenarioName> {
  if (only === undefined) return new Set(SCENARIO_NAMES);
  const names = only.map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(SCENARIO_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--only takes a comma-separated subset of: ${SCENARIO_NAMES.join(', ')}${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`);
  }
  return new Set(names as ScenarioName[]);
}

/** Who runs through each broker, in the first round's order (later rounds alternate it reversed). */
const BROKER_PASSES = ['rawDefaults', 'raw', 'amora'] as const;

/**
 * Raw mqtt.js (defaults, then no-delay) and Amora through one broker, `plan.rounds` times, the
 * order reversed every round so neither side always runs on a fresher (or more tired) machine,
 * then the command round trip by MQTT version (command-versions.ts); a string says why it was
 * skipped.
 */
async function runBroker(registry: PluginRegistry, name: BrokerName, plan: SamplePlan): Promise<BrokerResult | string> {
  const broker = await startBenchBroker(name);
  if (typeof broker === 'string') return broker;
  // Round trips that wait on Nagle's algorithm cost 44-88 ms each: fewer of them keep the run short.
  const nagleBound = name === 'mosquitto-nagle';
  const scenario: ScenarioOptions = {
    url: broker.url,
    ...plan.brokers,
    throughputMessages: 20_000,
    ...(nagleBound ? { commands: plan.nagleBound } : {}),
  };
  const run = {
    rawDefaults: () => runRawMqtt({ ...scenario, commands: plan.nagleBound }, false),
    raw: () => runRawMqtt(scenario, true),
    amora: () => runAmora(registry, scenario),
  };
  const label = { rawDefaults: 'raw mqtt.js, defaults', raw: 'raw mqtt.js, no-delay sockets', amora: 'amora' };
  const passes: Record<(typeof BROKER_PASSES)[number], ScenarioResult[]> = { rawDefaults: [], raw: [], amora: [] };
  const order: string[] = [];
  try {
    for (const { round, who } of alternatingRounds(plan.rounds, BROKER_PASSES)) {
      process.stderr.write(`${name}, round ${round + 1}: ${label[who]}...\n`);
      passes[who].push(await run[who]());
      order.push(who);
    }
    // Once, after the rounds: at 44 ms a round trip the others' order cannot sway its 0.3 ms.
    if (nagleBound) process.stderr.write(`${name}: amora, Nagle-safe command path...\n`);
    const nagleSafe = nagleBound ? await runNagleSafeCommands(registry, scenario) : undefined;
    // Not where Nagle's algorithm holds every round trip for 44 ms: no protocol's share would show.
    if (!nagleBound) process.stderr.write(`${name}: command round trip by MQTT version, interleaved...\n`);
    const commandVersions = nagleBound ? undefined : await runCommandVersions(registry, broker.url, plan.commandVersions);
    if (!nagleBound) process.stderr.write(`${name}: command round trip by MQTT version, the devices in a process of their own...\n`);
    const commandVersionsApart = nagleBound ? undefined : await runCommandVersions(registry, broker.url, plan.commandVersions, 'own-process');
    return {
      broker: name,
      description: broker.description,
      order,
      ...passes,
      ...(nagleSafe ? { nagleSafe } : {}),
      ...(commandVersions ? { commandVersions } : {}),
      ...(commandVersionsApart ? { commandVersionsApart } : {}),
    };
  } finally {
    await broker.stop();
  }
}
