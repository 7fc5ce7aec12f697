import { Subject, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { AmoraError } from '../errors.js';
import type { JsonValue } from '../state/json.js';
import type { EmitOptions, TelemetryPipelineApi } from './pipeline.types.js';
import type { TelemetryBatch, TelemetryRecord } from './types.js';

export interface TelemetryPipelineOptions {
  /** Records of one kind per batch; a full batch leaves at once. Default 50. */
  readonly batchSize?: number;
  /** Longest a record waits for its batch to fill, ms, counted from the batch's first record. Default 1 000. */
  readonly batchIntervalMs?: number;
  readonly clock?: Clock;
  /**
   * Called with every batch as it is formed, before `batches$` subscribers: the agent's way in,
   * cheaper than a subscription every agent of a fleet would keep for its life.
   */
  readonly onBatch?: (batch: TelemetryBatch) => void;
}

/** Kinds become MQTT topic levels and cloud message properties: no wildcards, separators or spaces. */
const KIND_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface Pending {
  readonly records: TelemetryRecord[];
  readonly timer: { cancel(): void };
}

/**
 * Stamps each record with a unique `id` and groups records per kind into batches, sent when `batchSize` records are waiting or
 * `batchIntervalMs` after the first one arrived, whichever comes first. Time comes from the
 * injected Clock, so tests (and the virtual player) control it.
 *
 * `batches$` is hot: subscribe before emitting (batches formed with no subscriber are gone).
 * Keeping batches while a transport is offline is the Outbox's job, not this one's.
 */
export class TelemetryPipeline implements TelemetryPipelineApi {
  private readonly batchSize: number;
  private readonly batchIntervalMs: number;
  private readonly clock: Clock;
  private readonly onBatch: ((batch: TelemetryBatch) => void) | undefined;
  /** Made when `batches$` is first read, and the pending batches when the first record arrives: many agents never use either. */
  private subject?: Subject<TelemetryBatch>;
  private pending?: Map<string, Pending>;
  private stopped = false;
  /** Drawn at the first record: random bytes cost a system call, and most agents of a fleet may never send telemetry. */
  private idPrefix?: string;
  private idCounter = 0;

  constructor(options: TelemetryPipelineOptions = {}) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 50));
    this.batchIntervalMs = Math.max(0, options.batchIntervalMs ?? 1_000);
    this.clock = options.clock ?? systemClock;
    this.onBatch = options.onBatch;
  }

  /** Batches as they are formed; hot (see the class). */
  get batches$(): Observable<TelemetryBatch> {
    if (!this.subject) {
      this.subject = new Subject<TelemetryBatch>();
      if (this.stopped) this.subject.complete();
    }
    return this.subject.asObservable();
  }

  /**
   * Adds one record, stamped with the clock's time. `data` must be JSON. Ignored after `stop()`.
   * With `immediate`, the kind's batch leaves at once (an emergency must not wait for a batch to fill).
   * @throws AmoraError `invalid_params` for a kind that cannot be used in a topic.
   */
  emit(kind: string, data: JsonValue, options: EmitOptions = {}): void {
    if (!KIND_PATTERN.test(kind)) {
      throw new AmoraError('invalid_params', `telemetry kind "${kind}" must match ${KIND_PATTERN}`, { details: { field: 'kind' } });
    }
    if (this.stopped) return;
    const record = this.stamp(kind, data);
    this.pending ??= new Map();
    let pending = this.pending.get(kind);
    if (!pending) {
      pending = { records: [], timer: this.clock.setTimeout(() => this.flushKind(kind), this.batchIntervalMs) };
      this.pending.set(kind, pending);
    }
    pending.records.push(record);
    if (options.immediate || pending.records.length >= this.batchSize) this.flushKind(kind);
  }

  /**
   * A record with this pipeline's next unique `id` and the clock's time, for a record sent outside
   * the batches (a status message): its id comes from the same sequence, so consumers can dedupe it too.
   */
  stamp(kind: string, data: JsonValue): TelemetryRecord {
    this.idPrefix ??= randomIdPrefix();
    return { id: `${this.idPrefix}-${(this.idCounter++).toString(36)}`, kind, data, timestamp: this.clock.now() };
  }

  /** Sends every pending batch now. */
  flush(): void {
    // Deleting the visited key during Map iteration is well defined.
    if (!this.pending) return;
    for (const kind of this.pending.keys()) this.flushKind(kind);
  }

  /** Flushes, then completes `batches$`; later records are ignored. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    this.subject?.complete();
  }

  private flushKind(kind: string): void {
    const pending = this.pending?.get(kind);
    if (!pending) return;
    this.pending!.delete(kind);
    pending.timer.cancel();
    if (pending.records.length === 0) return;
    const batch = { kind, records: pending.records };
    this.onBatch?.(batch);
    this.subject?.next(batch);
  }
}

/**
 * 64 random bits as hex: with a counter after it, ids stay unique across restarts and devices
 * without keeping a counter on disk. Web Crypto is global in Node 20 and browsers alike.
 */
function randomIdPrefix(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
