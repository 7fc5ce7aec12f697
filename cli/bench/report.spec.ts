import { describe, expect, it } from 'vitest';
import { commandRatios, type CommandSideResult, type CommandVersionsResult } from './command-versions.js';
import type { LatencySummary } from './latency-recorder.js';
import type { FleetPass, FleetReport } from './fleet.js';
import { formatFleetReport } from './fleet-report.js';
import { formatReport, type BenchReport } from './report.js';
import { passSpread, PERCENTILES_NOTE } from './report-rows.js';
import { roundRatios } from './round-ratios.js';
import { samplePlan, selectScenarios } from './run.js';
import type { ScenarioResult } from './scenario.js';

const summary = (p50: number, samples = 500): LatencySummary => ({ samples, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 });

const brokerRun = (delivered: number, p50 = 0.05): ScenarioResult => ({
  stateLatency: summary(p50, 5000),
  commandRoundTrip: summary(p50 * 2, 5000),
  throughputPerSecond: 30_000,
  throughputSent: 20_000,
  throughputDelivered: delivered,
});

/** One side of the command round trip by MQTT version: its p50 over all samples and its blocks' p50s. */
function side(name: CommandSideResult['side'], p50: number, blockP50s: number[]): CommandSideResult {
  return { side: name, commandRoundTrip: summary(p50, blockP50s.length * 100), blockP50s };
}

function commandVersions(sides: CommandSideResult[], devices: CommandVersionsResult['devices'] = 'in-process'): CommandVersionsResult {
  return { block: 100, rounds: 3, warmup: 500, devices, sides, ratios: commandRatios(sides) };
}

/** Amora merges a burst of patches: few messages delivered, at a low message rate. */
const amoraRun = (delivered: number, p50: number): ScenarioResult => ({ ...brokerRun(delivered, p50), throughputPerSecond: delivered, patchesPerSecond: 20_000 });

const report: BenchReport = {
  date: '2026-11-22T00:00:00.000Z',
  machine: { os: 'Linux', cpu: 'test cpu', cores: 2, memoryGiB: 4, node: 'v20', loadavg: [0.5, 0.5, 0.5] },
  samples: 5000,
  plan: samplePlan(5000),
  results: [
    {
      broker: 'mosquitto',
      description: 'Mosquitto',
      order: ['rawDefaults', 'raw', 'amora', 'amora', 'raw', 'rawDefaults'],
      rawDefaults: [brokerRun(20_000), brokerRun(20_000)],
      raw: [brokerRun(17_000, 0.04), brokerRun(20_000, 0.06)],
      amora: [amoraRun(101, 0.1), amoraRun(150, 0.2)],
      commandVersions: commandVersions([
        side('raw-4', 0.1, [1, 2, 4]),
        side('amora-4', 0.15, [1.5, 3, 5]),
        side('raw-5', 0.12, [1.2, 2.2, 4.4]),
        side('amora-5', 0.18, [1.8, 3.3, 6.6]),
      ]),
      commandVersionsApart: commandVersions(
        [side('raw-4', 0.2, [2, 2, 2]), side('amora-4', 0.24, [2.4, 2.4, 2.4]), side('raw-5', 0.22, [2.2, 2.2, 2.2]), side('amora-5', 0.26, [2.6, 2.6, 2.6])],
        'own-process',
      ),
    },
    {
      broker: 'embedded',
      description: 'aedes',
      order: ['rawDefaults', 'raw', 'amora'],
      rawDefaults: [brokerRun(20_000)],
      raw: [brokerRun(20_000)],
      amora: [amoraRun(120, 0.1)],
      commandVersions: {
        ...commandVersions([side('raw-4', 0.1, [1, 2, 4]), side('amora-4', 0.15, [1.5, 3, 5])]),
        unavailable: { sides: ['raw-5', 'amora-5'], reason: 'the broker refuses MQTT 5 (CONNACK code 1)' },
      },
    },
  ],
  reference: {
    description: 'reference',
    samples: 500,
    pacingMs: 20,
    mqtt: { atService: summary(0.5), atController: summary(1), commandRoundTrip: summary(1.5) },
    raw: { stateLatency: summary(0.5), commandRoundTrip: summary(0.75) },
  },
  mpd: { description: 'mpd', samples: 500, pacingMs: 20, mpdIdle: summary(0.25), agent: summary(1) },
  clouds: [
    {
      name: 'azure',
      description: 'hub',
      samples: 500,
      pacingMs: 20,
      serviceLabel: 'twin patch accepted',
      controllerNote: 'n/a: polled',
      measures: { atService: summary(1), commandRoundTrip: summary(3) },
    },
  ],
  skipped: [{ scenario: 'aws', reason: 'FAILED: boom' }],
};

describe('formatReport', () => {
  const text = formatReport(report);
  const line = (start: RegExp): string => text.split('\n').find((l) => start.test(l)) ?? '';

  it('puts each scenario beside the reference measured in the same run, as ratios', () => {
    expect(line(/volume change seen\s+agent/)).toContain('4.00x MPD alone, p50 +0.750 ms');
    expect(line(/state → service\s+azure/)).toContain('2.00x mqtt, p50 +0.500 ms; twin patch accepted');
    expect(line(/command round trip\s+azure/)).toContain('2.00x mqtt, p50 +1.500 ms');
    expect(line(/command round trip\s+mqtt/)).toContain('2.00x raw');
  });

  it('counts throughput in messages delivered, with the spread of the passes, the messages a broker dropped and the patches Amora merged', () => {
    expect(line(/throughput/)).toContain('raw (dflt) 30000/s (30000-30000), raw 30000/s (30000-30000, 3000/0 of 20000 dropped by the broker), amora 126/s (101-150');
    expect(line(/throughput/)).toContain('0.00x raw');
    expect(line(/amora applied/)).toContain('20000 patches at 20000/s, sent as 101/150 messages');
  });

  it('shows each side as the median of its passes, the p50 spread, the ratio of medians and the run order', () => {
    expect(line(/state update\s+raw mqtt/)).toContain('p50 0.040-0.060');
    expect(line(/state update\s+amora/)).toMatch(/5000\s+0\.150 .* p50 0\.100-0\.200; 3\.00x raw, p50 \+0\.100 ms/);
    expect(text).toContain('2 passes each, run order rawDefaults, raw, amora, amora, raw, rawDefaults');
  });

  it('puts a cold amora agent beside a minimal mqtt.js script, time and RSS as ratios of medians', () => {
    const cold = formatReport({
      ...report,
      coldStart: {
        passes: [
          { who: 'raw', ms: 300, rssBytes: 70 * 2 ** 20 },
          { who: 'amora', ms: 900, rssBytes: 105 * 2 ** 20 },
          { who: 'amora', ms: 600, rssBytes: 95 * 2 ** 20 },
          { who: 'raw', ms: 200, rssBytes: 70 * 2 ** 20 },
        ],
      },
    });
    expect(cold).toContain('median 750 ms (600-900), RSS 100.0 MiB (95.0-105.0); 3.00x raw time, 1.43x raw RSS');
    expect(cold).toContain('passes in run order: raw 300 ms 70.0 MiB, amora 900 ms 105.0 MiB');
  });

  it('says why a row has no figures and which scenarios did not run', () => {
    expect(line(/state → controller\s+azure/)).toContain('n/a: polled');
    expect(text).toContain('aws: skipped, FAILED: boom');
  });

  it('prints the sample count of every row and the plan behind them', () => {
    expect(line(/state → service\s+azure/)).toMatch(/azure\s+500\s/);
    expect(text).toContain('samples per row (n): brokers 5000');
    expect(text).toContain('command round trip by MQTT version 100 rounds of 100 per side after 500 warm-up');
    expect(text).toContain('one every 20 ms');
  });

  it('says which figures are percentiles of samples and which are medians of passes or rounds', () => {
    expect(text).toContain(PERCENTILES_NOTE);
    expect(text).toContain('ratios: median over the rounds of block p50 (same percentile, of the block\'s samples)');
  });

  it('tables the command round trip by MQTT version under its broker: each side\'s p50, each amora side against raw of its version per round, and what MQTT 5 costs', () => {
    const mosquitto = text.slice(text.indexOf('mosquitto: '), text.indexOf('embedded: '));
    const row = (who: string): string => mosquitto.split('\n').find((l) => new RegExp(`command round trip\\s+${who}\\s+\\d`).test(l)) ?? '';
    expect(mosquitto).toContain('by MQTT version, interleaved, devices and callers in one process: all connected at once, 500 warm-up each, then 3 rounds of 100 back to back per side, order raw-4, amora-4, raw-5, amora-5, reversed every round');
    expect(row('raw mqtt 3\\.1\\.1')).toMatch(/ 300\s+0\.100\s+0\.200/);
    expect(row('raw mqtt 3\\.1\\.1')).not.toContain('x raw');
    expect(row('amora 3\\.1\\.1')).toMatch(/0\.150 .* 1\.50x raw 3\.1\.1 \(IQR 1\.38-1\.50\)$/);
    expect(row('raw mqtt 5')).toMatch(/0\.120 .* 1\.10x raw 3\.1\.1 \(IQR 1\.10-1\.15\)$/);
    expect(row('amora 5')).toMatch(/0\.180 .* 1\.50x raw 5 \(IQR 1\.50-1\.50\); 1\.65x raw 3\.1\.1 \(IQR 1\.65-1\.73\)$/);
  });

  it('tables the same with the devices in a process of their own, after the one-process table', () => {
    const mosquitto = text.slice(text.indexOf('mosquitto: '), text.indexOf('embedded: '));
    const apart = mosquitto.indexOf('by MQTT version, interleaved, the devices in a process of their own (as deployed): all connected at once');
    expect(apart).toBeGreaterThan(mosquitto.indexOf('by MQTT version, interleaved, devices and callers in one process'));
    expect(mosquitto.slice(apart)).toMatch(/command round trip\s+amora 3\.1\.1\s+300\s+0\.240 .* 1\.20x raw 3\.1\.1 \(IQR 1\.20-1\.20\)$/m);
    expect(text.slice(text.indexOf('embedded: '))).not.toContain('a process of their own');
  });

  it('says where the MQTT 5 sides could not run, and measures the 3.1.1 ones there', () => {
    const embedded = text.slice(text.indexOf('embedded: '));
    expect(embedded).toMatch(/command round trip\s+amora 3\.1\.1\s+300 .* 1\.50x raw 3\.1\.1/);
    expect(embedded).toMatch(/command round trip\s+raw mqtt 5, amora 5\s+n\/a: the broker refuses MQTT 5 \(CONNACK code 1\)/);
    expect(embedded).not.toMatch(/x raw 5/);
  });
});

describe('roundRatios', () => {
  it('divides each round\'s figure by the other side\'s in the same round, and gives the median and quartiles of those ratios', () => {
    // Ratios 2, 1.5, 2, 3: sorted 1.5, 2, 2, 3.
    expect(roundRatios([2, 3, 4, 6], [1, 2, 2, 2])).toEqual({ median: 2, q1: 1.875, q3: 2.25, rounds: 4 });
    expect(roundRatios([3], [2])).toEqual({ median: 1.5, q1: 1.5, q3: 1.5, rounds: 1 });
  });

  it('refuses figures from different numbers of rounds', () => {
    expect(() => roundRatios([1, 2], [1])).toThrow(/one figure per round on each side \(2 vs 1\)/);
  });
});

describe('commandRatios', () => {
  it('puts each amora side against raw of its version and both MQTT 5 sides against raw 3.1.1, round by round', () => {
    const ratios = commandRatios([
      { side: 'raw-4', blockP50s: [1, 2, 4] },
      { side: 'amora-4', blockP50s: [1.5, 3, 5] },
      { side: 'raw-5', blockP50s: [1.2, 2.2, 4.4] },
      { side: 'amora-5', blockP50s: [1.8, 3.3, 6.6] },
    ]);
    expect(ratios.map(({ of, to, rounds }) => `${of}/${to} ${rounds}`)).toEqual(['amora-4/raw-4 3', 'amora-5/raw-5 3', 'raw-5/raw-4 3', 'amora-5/raw-4 3']);
    const [amora4, amora5, raw5, amora5raw4] = ratios;
    // amora-4 / raw-4 per round: 1.5, 1.5, 1.25.
    expect(amora4).toMatchObject({ median: 1.5, q1: 1.375, q3: 1.5 });
    expect(amora5?.median).toBeCloseTo(1.5, 10);
    // raw-5 / raw-4: 1.2, 1.1, 1.1.
    expect([raw5?.median, raw5?.q1, raw5?.q3].map((value) => value?.toFixed(3))).toEqual(['1.100', '1.100', '1.150']);
    // amora-5 / raw-4: 1.8, 1.65, 1.65.
    expect(amora5raw4?.median).toBeCloseTo(1.65, 10);
  });

  it('leaves out the ratios of a side not measured (MQTT 5 on aedes)', () => {
    const ratios = commandRatios([
      { side: 'raw-4', blockP50s: [1, 2] },
      { side: 'amora-4', blockP50s: [1.5, 2] },
    ]);
    expect(ratios).toEqual([{ of: 'amora-4', to: 'raw-4', median: 1.25, q1: 1.125, q3: 1.375, rounds: 2 }]);
  });
});

describe('samplePlan', () => {
  it('caps the slow and paced rows so a default run stays a few minutes', () => {
    expect(samplePlan(5000)).toEqual({
      rounds: 2,
      brokers: { samples: 5000, warmup: 500 },
      nagleBound: { samples: 200, warmup: 20 },
      paced: { samples: 500, warmup: 50, pacingMs: 20 },
      commandVersions: { block: 100, rounds: 100, warmup: 500 },
    });
    expect(samplePlan(150).paced.samples).toBe(150);
    expect(samplePlan(1).commandVersions).toEqual({ block: 10, rounds: 2, warmup: 100 });
  });
});

describe('selectScenarios', () => {
  it('runs everything by default and a named subset with --only', () => {
    expect([...selectScenarios(undefined)]).toEqual(['embedded', 'mosquitto', 'mosquitto-nagle', 'mpd', 'azure', 'aws', 'discovery', 'signing', 'content-sync', 'cold-start']);
    expect([...selectScenarios(['mpd', ' aws'])]).toEqual(['mpd', 'aws']);
  });

  it('names the choices when given an unknown one', () => {
    expect(() => selectScenarios(['azure', 'nats'])).toThrow(/subset of: embedded, .*discovery, signing, content-sync, cold-start \(not: nats\)/);
  });
});

describe('passSpread', () => {
  it('gives the median, least and greatest of alternated passes, odd or even in number', () => {
    expect(passSpread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 });
    expect(passSpread([40, 10, 30, 20])).toEqual({ median: 25, min: 10, max: 40 });
  });
});

const pass = (who: 'amora' | 'raw', p50: number, delivered: number): FleetPass => ({
  who,
  onlineMs: who === 'amora' ? 4000 : 2000,
  heapPerDevice: (who === 'amora' ? 40 : 20) * 1024,
  rssPerDevice: (who === 'amora' ? 120 : 40) * 1024,
  sent: 14_000,
  published: who === 'amora' && delivered < 50_000 ? 13_720 : 14_000,
  watchedDevices: 1400,
  watchedSent: 14_000,
  expected: 50_000,
  delivered,
  stateLatency: summary(p50, delivered),
  sendLate: summary(0.5, 14_000),
  cpuPerUpdateMicros: who === 'amora' ? 150 : 100,
  cpuPerMessageMicros: who === 'amora' ? 160 : 100,
  devicesBusy: 0.5,
  collector: {
    minor: { count: 10, totalMs: who === 'amora' ? 100 : 50, medianMs: who === 'amora' ? 10 : 5, maxMs: who === 'amora' ? 14 : 7 },
    major: who === 'amora' ? { count: 1, totalMs: 12, medianMs: 12, maxMs: 12 } : { count: 0, totalMs: 0, medianMs: 0, maxMs: 0 },
    other: { count: 0, totalMs: 0, medianMs: 0, maxMs: 0 },
    oldGrowthBytes: who === 'amora' ? 14_000_000 : 7_000_000,
  },
  scheduler: who === 'amora' ? { broker: { running: 0.4, waiting: 0.18 }, devices: { running: 0.95, waiting: 0.04 } } : {},
  subscribersBusy: 0.25,
  subscribersCpuPerDeliveryMicros: 40,
  commandRoundTrip: summary(p50 * 2, 300),
  commandsUnanswered: delivered < 50_000 ? 2 : 0,
});

describe('formatFleetReport', () => {

  const fleet: FleetReport = {
    date: '2026-12-06T00:00:00.000Z',
    machine: report.machine,
    options: { devices: 1400, clients: 5000, rate: 1, durationS: 10, runs: 2, broker: 'Mosquitto', subscriberProcesses: 2, commandIntervalMs: 20 },
    subscribers: { connectMs: 3000, heapPerClient: 16 * 1024, rssPerClient: 30 * 1024 },
    passes: [pass('amora', 2, 49_000), pass('raw', 1, 50_000), pass('raw', 3, 50_000), pass('amora', 4, 50_000)],
  };
  const text = formatFleetReport(fleet);

  it('lists every pass in run order with what went missing', () => {
    expect(text).toContain('1. amora online 4.00 s; heap 40.0 KiB, RSS 120.0 KiB per device; CPU 160 µs per message published (150 per update made)');
    expect(text).toContain('delivered 49000/50000 (1000 missing); 14000 updates made, 13720 published (280 merged into later states)');
    expect(text).toContain('(n 300, 2 unanswered)');
    expect(text).not.toContain('devices watched');
    expect(text).toContain(PERCENTILES_NOTE);
    expect(text).toContain('it hears answers on the wildcard {p}/devices/+/responses (amora: responseSubscription fleet)');
    expect(text).toContain('busy (share of one core): devices process 50%, busiest subscribers process 25%; subscribers\' CPU 40 µs per delivery');
    expect(text).toContain('collector while sending: 10 scavenges (pause p50 10.0 ms, longest 14.0), 1 full (12.0 ms); 8.0 µs paused and 1000 bytes of old generation gained per update');
    expect(text).toContain('collector while sending: 10 scavenges (pause p50 5.0 ms, longest 7.0), no full collection; 3.6 µs paused and 500 bytes of old generation gained per update');
    expect(text).toContain("waiting for a core while sending (share of the window): devices process's main thread 4% (it ran 95%), broker 18% (it ran 40%)");
    // Without schedstat (not Linux, or a broker the bench did not start) the line is left out.
    expect(text.match(/waiting for a core/g)).toHaveLength(2);
  });

  it('compares amora with raw as ratios of the medians of their passes, with each side\'s spread', () => {
    expect(text).toMatch(/state latency p50\s+1\.50x\s+amora 3\.00 ms \(2\.00-4\.00\), raw 2\.00 ms \(1\.00-3\.00\)/);
    expect(text).toMatch(/heap per device\s+2\.00x/);
    expect(text).toMatch(/CPU per message published\s+1\.60x\s+amora 160 µs/);
    expect(text).toMatch(/scavenge pause p50\s+2\.00x\s+amora 10 ms/);
    expect(text).toMatch(/GC pauses per update\s+2\.24x\s+amora 8\.00 µs/);
  });

  it('says which devices the published count covers when the subscribers watch fewer than all', () => {
    const amora = { ...pass('amora', 2, 2000), sent: 100_000, published: 1990, watchedDevices: 200, watchedSent: 2000, expected: 2000 };
    const raw = { ...amora, who: 'raw' as const, published: 2000 };
    expect(formatFleetReport({ ...fleet, passes: [amora, raw] })).toContain(
      '100000 updates made, 1990 published of the 2000 made by the 200 devices watched (10 merged into later states)',
    );
  });
});
