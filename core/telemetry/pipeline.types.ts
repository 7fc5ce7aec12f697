import type { Observable } from 'rxjs';
import type { JsonValue } from '../state/json.js';
import type { TelemetryBatch } from './types.js';

/** Collects telemetry records and hands batches to a sink (a transport), keeping them while it is offline. */
export interface TelemetryPipelineApi {
  emit(kind: string, data: JsonValue): void;
  /** Batches as they are formed (size or interval reached). */
  readonly batches$: Observable<TelemetryBatch>;
}
