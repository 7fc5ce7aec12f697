import type { LatencySummary } from './latency-recorder.js';

/** What one implementation (raw mqtt.js or Amora Sync) is measured doing on one broker. */
export interface ScenarioResult {
  readonly stateLatency: LatencySummary;
  readonly commandRoundTrip: LatencySummary;
  /** State updates delivered per second, sender to receiver, pipelined. */
  readonly throughputPerSecond: number;
  /** Messages the receiver got in the throughput run (Amora may merge a burst into fewer). */
  readonly throughputDelivered: number;
}

export interface ScenarioOptions {
  readonly url: string;
  readonly samples: number;
  readonly warmup: number;
  readonly throughputMessages: number;
}
