import type { JsonValue } from '../state/json.js';

/** One telemetry event or metric sample. */
export interface TelemetryRecord {
  /**
   * Unique per record (a random prefix per run, then a counter), so a consumer can drop the
   * duplicates QoS 1 allows (a redelivery after a broker crash, an outbox resent after a restart).
   * Set by the agent's pipeline; records built by hand may lack it.
   */
  readonly id?: string;
  /** What the record is about, e.g. "playerStatus" or "metrics"; becomes part of the topic. */
  readonly kind: string;
  readonly data: JsonValue;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

/** Records of one kind sent together. */
export interface TelemetryBatch {
  readonly kind: string;
  readonly records: readonly TelemetryRecord[];
}
