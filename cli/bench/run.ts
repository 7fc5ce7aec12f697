import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createBuiltinRegistry } from '../builtins.js';
import { runAmora } from './amora.js';
import { BROKER_NAMES, startBenchBroker, type BrokerName } from './brokers.js';
import { runRawMqtt } from './raw-mqtt.js';
import { formatReport, machineInfo, type BenchReport, type BrokerResult } from './report.js';
import type { ScenarioOptions } from './scenario.js';

export interface BenchOptions {
  readonly samples: number;
  readonly jsonPath?: string;
  readonly only?: readonly string[];
}

/**
 * Runs raw mqtt.js and Amora Sync through each broker in one process and one run, so their
 * figures are comparable as ratios on a noisy machine. On each broker: raw mqtt.js with its
 * defaults, raw mqtt.js with no-delay sockets (the baseline Amora is held to), then Amora, each
 * with its own warm-up.
 */
export async function runBenchmarks(options: BenchOptions): Promise<BenchReport> {
  const brokers = (options.only ?? BROKER_NAMES).filter((name): name is BrokerName => (BROKER_NAMES as readonly string[]).includes(name));
  if (brokers.length === 0) throw new Error(`--only takes: ${BROKER_NAMES.join(', ')}`);
  const samples = Math.max(options.samples, 100);
  const results: BrokerResult[] = [];
  const skipped: { broker: string; reason: string }[] = [];
  const registry = createBuiltinRegistry();
  for (const name of brokers) {
    const broker = await startBenchBroker(name);
    if (typeof broker === 'string') {
      skipped.push({ broker: name, reason: broker });
      continue;
    }
    // Nagle's stalls cost 40-90 ms a round trip: fewer samples keep that row to a minute or so.
    const scenario: ScenarioOptions = {
      url: broker.url,
      samples: name === 'mosquitto-nagle' ? Math.min(samples, 500) : samples,
      warmup: name === 'mosquitto-nagle' ? 50 : Math.max(500, samples / 10),
      throughputMessages: 20_000,
    };
    try {
      process.stderr.write(`${name}: raw mqtt.js, defaults...\n`);
      const rawDefaults = await runRawMqtt(scenario, false);
      process.stderr.write(`${name}: raw mqtt.js, no-delay sockets...\n`);
      const raw = await runRawMqtt(scenario, true);
      process.stderr.write(`${name}: amora...\n`);
      const amora = await runAmora(registry, scenario);
      results.push({ broker: name, description: broker.description, rawDefaults, raw, amora });
    } finally {
      await broker.stop();
    }
  }
  const report: BenchReport = { date: new Date().toISOString(), machine: machineInfo(), samples, results, skipped };
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.jsonPath) {
    await mkdir(dirname(options.jsonPath), { recursive: true });
    await writeFile(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`JSON: ${options.jsonPath}\n`);
  }
  return report;
}
