import type { JsonValue } from '../state/json.js';
import type { TelemetryRecord } from './types.js';

/** A record as telemetry payloads carry it: `{id, data, timestamp}` (no `kind`: the batch has it). */
export function wireRecord(record: TelemetryRecord): { id?: string; data: JsonValue; timestamp: number } {
  return record.id === undefined ? { data: record.data, timestamp: record.timestamp } : { id: record.id, data: record.data, timestamp: record.timestamp };
}
