import type { JsonValue } from '../state/json.js';

/** One telemetry event or metric sample. */
export interface TelemetryRecord {
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
