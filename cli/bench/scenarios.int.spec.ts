import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ensureCliBuilt } from '../../test/integration/cli-build.js';
import { describeWithBinaries } from '../../test/support/system-deps.js';
import { createBuiltinRegistry } from '../builtins.js';
import { runAws } from './aws.js';
import { runAzure } from './azure.js';
import { startBenchBroker, type BrokerName } from './brokers.js';
import { runCommandVersions, type CommandVersionsResult } from './command-versions.js';
import { runContentSync } from './content-sync.js';
import { runDiscovery } from './discovery.js';
import { runMpd } from './mpd.js';
import { measureMqttReference } from './mqtt-reference.js';
import { samplePlan } from './run.js';
import { runSigning } from './signing.js';
import type { ColdStartResult } from './cold-start.js';
import type { FleetReport } from './fleet.js';
import type { LatencySummary } from './latency-recorder.js';

// The benchmark's scenarios, each run with a handful of samples so they cannot rot unnoticed.
// Only what was measured is checked (every sample completed), never how fast: speed belongs to
// `npm run bench`.
const probe = { samples: 5, warmup: 1, pacingMs: 0 };
const registry = createBuiltinRegistry();

/** How many samples each summary holds (undefined for a missing one). */
const counts = (...summaries: (LatencySummary | undefined)[]): (number | undefined)[] => summaries.map((summary) => summary?.samples);
const all = (n: number): number[] => Array.from({ length: n }, () => probe.samples);

describe('bench scenarios', () => {
  it('measures the generic MQTT reference at the broker, the controller and for commands, and mqtt.js alone', async () => {
    const { mqtt, raw } = await measureMqttReference(registry, probe);
    expect(counts(mqtt.atService, mqtt.atController, mqtt.commandRoundTrip, raw.stateLatency, raw.commandRoundTrip)).toEqual(all(5));
  });

  it('measures mqtt.js alone and generic MQTT with the signing middleware off and on, interleaved', async () => {
    const { passes } = await runSigning(registry, probe);
    expect(passes.map((pass) => pass.who)).toEqual(['raw', 'off', 'on', 'on', 'off', 'raw']);
    expect(passes.flatMap((pass) => counts(pass.state, pass.command))).toEqual(all(12));
  });

  it('measures Azure IoT Hub at the hub, at the controller pushed over the Event Hub endpoint, and for direct methods', async () => {
    const azure = await runAzure(registry, probe);
    expect(counts(azure.measures.atService, azure.measures.atController, azure.measures.commandRoundTrip)).toEqual(all(3));
    expect(azure.controllerNote).toBeUndefined();
  });

  it('measures AWS IoT Core at the shadow service, the controller and for commands over both links, and at QoS 0 over the sdk one', async () => {
    const [defaults, sdk, sdkQos0] = await runAws(registry, probe);
    const measured = counts(
      defaults?.measures.atService,
      defaults?.measures.atController,
      defaults?.measures.commandRoundTrip,
      sdk?.measures.commandRoundTrip,
      sdkQos0?.measures.commandRoundTrip,
    );
    expect(measured).toEqual(all(5));
  });
});

/** The command round trip by MQTT version with the plan of `--samples 1`, on a broker of its own. */
async function commandVersionsOn(name: BrokerName): Promise<CommandVersionsResult> {
  const broker = await startBenchBroker(name);
  if (typeof broker === 'string') throw new Error(broker);
  try {
    return await runCommandVersions(registry, broker.url, samplePlan(1).commandVersions);
  } finally {
    await broker.stop();
  }
}

/** Each side's sample count and block count, and whether every block p50 is a time. */
const measured = (result: CommandVersionsResult) =>
  result.sides.map((side) => ({ side: side.side, samples: side.commandRoundTrip.samples, blocks: side.blockP50s.length, timed: side.blockP50s.every((p50) => p50 > 0) }));

describe('bench scenario command round trip by MQTT version', () => {
  it('times raw and amora over MQTT 3.1.1 on aedes in interleaved blocks, and says the MQTT 5 sides cannot run there', async () => {
    const result = await commandVersionsOn('embedded');
    const { block, rounds } = samplePlan(1).commandVersions;
    expect(measured(result)).toEqual(['raw-4', 'amora-4'].map((side) => ({ side, samples: block * rounds, blocks: rounds, timed: true })));
    expect(result.ratios.map(({ of, to, rounds: n }) => ({ of, to, rounds: n }))).toEqual([{ of: 'amora-4', to: 'raw-4', rounds }]);
    expect(result.ratios.every((ratio) => ratio.q1 > 0 && ratio.median >= ratio.q1 && ratio.q3 >= ratio.median)).toBe(true);
    expect(result.unavailable?.sides).toEqual(['raw-5', 'amora-5']);
    expect(result.unavailable?.reason).toMatch(/refuses MQTT 5/);
  });
});

describeWithBinaries(['mosquitto'], 'bench scenario command round trip by MQTT version on Mosquitto', () => {
  it('times raw and amora over MQTT 3.1.1 and 5 in interleaved blocks, each amora side against raw of its version', async () => {
    const result = await commandVersionsOn('mosquitto');
    const { block, rounds } = samplePlan(1).commandVersions;
    expect(result.devices).toBe('in-process');
    expect(measured(result)).toEqual(['raw-4', 'amora-4', 'raw-5', 'amora-5'].map((side) => ({ side, samples: block * rounds, blocks: rounds, timed: true })));
    expect(result.ratios.map(({ of, to }) => `${of}/${to}`)).toEqual(['amora-4/raw-4', 'amora-5/raw-5', 'raw-5/raw-4', 'amora-5/raw-4']);
    expect(result.ratios.every((ratio) => ratio.rounds === rounds && ratio.q1 > 0 && ratio.median >= ratio.q1 && ratio.q3 >= ratio.median)).toBe(true);
    expect(result.unavailable).toBeUndefined();
  });
});

describeWithBinaries(['mosquitto'], 'bench scenario command round trip by MQTT version, the devices in a process of their own', () => {
  it('times the same four sides with the devices forked off, each amora side against raw of its version', async () => {
    // The devices' process is a module of the built CLI, so the scenario runs from there too.
    const dist = dirname(dirname(await ensureCliBuilt()));
    const built = (await import(pathToFileURL(join(dist, 'cli/bench/command-versions.js')).href)) as typeof import('./command-versions.js');
    const builtins = (await import(pathToFileURL(join(dist, 'cli/builtins.js')).href)) as typeof import('../builtins.js');
    const broker = await startBenchBroker('mosquitto');
    if (typeof broker === 'string') throw new Error(broker);
    let result: CommandVersionsResult;
    try {
      result = await built.runCommandVersions(builtins.createBuiltinRegistry(), broker.url, samplePlan(1).commandVersions, 'own-process');
    } finally {
      await broker.stop();
    }
    const { block, rounds } = samplePlan(1).commandVersions;
    expect(result.devices).toBe('own-process');
    expect(measured(result)).toEqual(['raw-4', 'amora-4', 'raw-5', 'amora-5'].map((side) => ({ side, samples: block * rounds, blocks: rounds, timed: true })));
    expect(result.ratios.map(({ of, to }) => `${of}/${to}`)).toEqual(['amora-4/raw-4', 'amora-5/raw-5', 'raw-5/raw-4', 'amora-5/raw-4']);
  });
});

describeWithBinaries(['mosquitto'], 'bench scenario discovery', () => {
  it('times raw and amora discovering a fleet and amora watch printing it, alternating, the order reversed each round', async () => {
    const discovery = await runDiscovery(registry, 50, 2, await ensureCliBuilt());
    if (typeof discovery === 'string') throw new Error(discovery);
    expect(discovery.passes.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw']);
    expect(discovery.watch.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw']);
    expect([...discovery.passes, ...discovery.watch].every((pass) => pass.ms > 0)).toBe(true);
  });
});

describe('bench scenario content-sync', () => {
  it('times a plain SDK download and content sync of the same blobs, alternating, the order reversed each round', async () => {
    const result = await runContentSync(2, 64 * 1024, 2);
    const passes = typeof result === 'string' ? [] : result.passes;
    expect(typeof result === 'string' ? result : passes.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw']);
    expect(passes.every((pass) => pass.mbPerSecond > 0)).toBe(true);
  });
});

describeWithBinaries(['mpd'], 'bench scenario mpd', () => {
  it('times a volume change through MPD alone and through the agent to the controller', async () => {
    const mpd = await runMpd(registry, probe);
    expect(typeof mpd === 'string' ? mpd : counts(mpd.mpdIdle, mpd.agent)).toEqual(all(2));
  });
});

// The fleet and cold-start scenarios fork the built CLI's modules (their own processes), so they run through it.
const run = promisify(execFile);
// They take 18-22 s on two idle cores, close to the project's 30 s default, and one timed out
// with the machine busy. The child's own limit comes first, so a hang still reports its output.
const FORKED_RUN_MS = 120_000;
const FORKED_TEST_MS = FORKED_RUN_MS + 10_000;

describeWithBinaries(['mosquitto'], 'bench fleet', () => {
  it('runs amora agents and raw mqtt.js devices before the same subscribers, the order reversed each round, every delivery counted', async () => {
    const main = await ensureCliBuilt();
    const args = ['bench', 'fleet', '--devices', '3', '--clients', '7', '--duration', '1', '--command-interval', '50', '--json'];
    const { stdout } = await run(process.execPath, [main, ...args], { timeout: FORKED_RUN_MS });
    const report = JSON.parse(stdout) as FleetReport;
    expect(report.passes.map((pass) => pass.who)).toEqual(['amora', 'raw', 'raw', 'amora']);
    for (const pass of report.passes) {
      expect({ who: pass.who, sent: pass.sent, published: pass.published, expected: pass.expected, delivered: pass.delivered }).toEqual({ who: pass.who, sent: 3, published: 3, expected: 7, delivered: 7 });
      expect(pass.stateLatency.samples).toBe(7);
      expect(pass.commandRoundTrip.samples).toBeGreaterThan(0);
      expect(pass.commandsUnanswered).toBe(0);
      expect(pass.heapPerDevice).toBeGreaterThan(0);
      // What the devices process's collector did while sending, from its own process.
      expect(pass.collector).toMatchObject({ minor: { count: expect.any(Number), totalMs: expect.any(Number) }, major: { count: expect.any(Number) }, oldGrowthBytes: expect.any(Number) });
      // The Mosquitto the bench started and the devices process, read from their schedstat while sending.
      expect(pass.scheduler.broker?.running).toBeGreaterThan(0);
      expect(pass.scheduler.devices?.running).toBeGreaterThan(0);
    }
  }, FORKED_TEST_MS);

  it('runs the agents and the probe on MQTT 3.1.1 with --protocol-version 4, every command answered on each device\'s responses topic; with fewer subscribers than devices it counts what the watched ones published', async () => {
    const main = await ensureCliBuilt();
    const args = ['bench', 'fleet', '--devices', '4', '--clients', '2', '--duration', '1', '--runs', '1', '--command-interval', '50', '--protocol-version', '4', '--probe-responses', 'device', '--json'];
    const { stdout } = await run(process.execPath, [main, ...args], { timeout: FORKED_RUN_MS });
    const report = JSON.parse(stdout) as FleetReport;
    expect(report.options).toMatchObject({ protocolVersion: 4, probeResponses: 'device' });
    for (const pass of report.passes) {
      expect({ sent: pass.sent, watchedDevices: pass.watchedDevices, watchedSent: pass.watchedSent, published: pass.published }).toEqual({ sent: 4, watchedDevices: 2, watchedSent: 2, published: 2 });
    }
    const amora = report.passes.find((pass) => pass.who === 'amora');
    expect({ delivered: amora?.delivered, unanswered: amora?.commandsUnanswered }).toEqual({ delivered: 2, unanswered: 0 });
    expect(amora?.commandRoundTrip.samples).toBeGreaterThan(0);
  }, FORKED_TEST_MS);
});

describe('bench scenario cold-start', () => {
  it('starts amora agent and a minimal mqtt.js script cold, alternating, until each device is online', async () => {
    const main = await ensureCliBuilt();
    const json = join(tmpdir(), `amora-cold-start-${process.pid}.json`);
    await run(process.execPath, [main, 'bench', '--only', 'cold-start', '--json', json], { timeout: FORKED_RUN_MS });
    const { coldStart } = JSON.parse(await readFile(json, 'utf8')) as { coldStart: ColdStartResult };
    expect(coldStart.passes.map((pass) => pass.who)).toEqual(['raw', 'amora', 'amora', 'raw', 'raw', 'amora']);
    expect(coldStart.passes.every((pass) => pass.ms > 0 && pass.rssBytes > 0)).toBe(true);
  }, FORKED_TEST_MS);
});
