import type { Observable } from 'rxjs';
import type { JsonValue } from '../state/json.js';
import type { TelemetryBatch } from './types.js';

/** Collects telemetry records and hands batches to a sink (a transport), keeping them while it is offline. */
/** How one record is sent. */
export interface EmitOptions {
  /** Send this record's batch now (with what waits of its kind) instead of waiting for size or interval: alarms. */
  readonly immediate?: boolean;
}

export interface TelemetryPipelineApi {
  emit(kind: string, data: JsonValue, options?: EmitOptions): void;
  /** Batches as they are formed (size or interval reached). */
  readonly batches$: Observable<TelemetryBatch>;
}
