import { describe, expect, it } from 'vitest';
import type { LatencySummary } from './latency-recorder.js';
import { formatReport, type BenchReport } from './report.js';
import { passSpread } from './report-rows.js';
import { samplePlan, selectScenarios } from './run.js';
import type { ScenarioResult } from './scenario.js';

const summary = (p50: number, samples = 500): LatencySummary => ({ samples, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 });

const brokerRun = (delivered: number): ScenarioResult => ({
  stateLatency: summary(0.05, 5000),
  commandRoundTrip: summary(0.1, 5000),
  throughputPerSecond: 30_000,
  throughputSent: 20_000,
  throughputDelivered: delivered,
});

const report: BenchReport = {
  date: '2026-11-22T00:00:00.000Z',
  machine: { os: 'Linux', cpu: 'test cpu', cores: 2, memoryGiB: 4, node: 'v20', loadavg: [0.5, 0.5, 0.5] },
  samples: 5000,
  plan: samplePlan(5000),
  results: [{ broker: 'mosquitto', description: 'Mosquitto', rawDefaults: brokerRun(20_000), raw: brokerRun(17_000), amora: brokerRun(101) }],
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

  it('counts the messages a broker dropped and the patches Amora merged', () => {
    expect(line(/throughput/)).toContain('raw (dflt) 30000/s, raw 30000/s (3000 of 20000 dropped by the broker), amora 30000/s (100% of raw;');
    expect(line(/throughput/)).toContain('20000 patches sent as 101 messages');
  });

  it('says why a row has no figures and which scenarios did not run', () => {
    expect(line(/state → controller\s+azure/)).toContain('n/a: polled');
    expect(text).toContain('aws: skipped, FAILED: boom');
  });

  it('prints the sample count of every row and the plan behind them', () => {
    expect(line(/state → service\s+azure/)).toMatch(/azure\s+500\s/);
    expect(text).toContain('samples per row (n): brokers 5000');
    expect(text).toContain('one every 20 ms');
  });
});

describe('samplePlan', () => {
  it('caps the slow and paced rows so a default run stays a few minutes', () => {
    expect(samplePlan(5000)).toEqual({
      brokers: { samples: 5000, warmup: 500 },
      nagleBound: { samples: 200, warmup: 20 },
      paced: { samples: 500, warmup: 50, pacingMs: 20 },
    });
    expect(samplePlan(150).paced.samples).toBe(150);
  });
});

describe('selectScenarios', () => {
  it('runs everything by default and a named subset with --only', () => {
    expect([...selectScenarios(undefined)]).toEqual(['embedded', 'mosquitto', 'mosquitto-nagle', 'mpd', 'azure', 'aws', 'discovery', 'signing', 'content-sync']);
    expect([...selectScenarios(['mpd', ' aws'])]).toEqual(['mpd', 'aws']);
  });

  it('names the choices when given an unknown one', () => {
    expect(() => selectScenarios(['azure', 'nats'])).toThrow(/subset of: embedded, .*discovery, signing, content-sync \(not: nats\)/);
  });
});

describe('passSpread', () => {
  it('gives the median, least and greatest of alternated passes, odd or even in number', () => {
    expect(passSpread([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30 });
    expect(passSpread([40, 10, 30, 20])).toEqual({ median: 25, min: 10, max: 40 });
  });
});
