import { systemClock, type Clock } from '../clock.js';
import type { Logger } from '../logging/logger.js';

export interface DropLogOptions {
  readonly logger: Logger;
  /** The warning's message, e.g. "MQTT outbox full; dropped the oldest message". */
  readonly message: string;
  /** Least time between two summary lines, ms. Default 10 000. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
}

/**
 * Logs drops without flooding the log (506 drops used to be 506 lines): the first drop of a spell
 * at once, then at most one summary per `intervalMs` with how many were dropped meanwhile and in
 * total. Each line carries the fields of the latest drop. The counts in status stay exact; this
 * only shapes the log.
 */
export class DropLog {
  private readonly intervalMs: number;
  private readonly clock: Clock;
  /** Drops not yet in a log line. */
  private unlogged = 0;
  private total = 0;
  private latest: Record<string, unknown> = {};
  private timer: { cancel(): void } | undefined;

  constructor(private readonly options: DropLogOptions) {
    this.intervalMs = Math.max(0, options.intervalMs ?? 10_000);
    this.clock = options.clock ?? systemClock;
  }

  /** Notes one drop; `fields` describe it (topic, kind, ...). */
  note(fields: Record<string, unknown> = {}): void {
    this.total++;
    this.latest = fields;
    if (this.timer) {
      this.unlogged++;
      return;
    }
    this.options.logger.warn({ ...fields, dropped: this.total }, this.options.message);
    this.timer = this.clock.setTimeout(() => this.summarise(), this.intervalMs);
  }

  /** Logs what is pending now and stops the timer (call when the owner stops). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.writeSummary();
  }

  private summarise(): void {
    this.timer = undefined;
    if (this.unlogged === 0) return;
    this.writeSummary();
    // Still dropping: the next summary comes no sooner than one interval later.
    this.timer = this.clock.setTimeout(() => this.summarise(), this.intervalMs);
  }

  private writeSummary(): void {
    if (this.unlogged === 0) return;
    this.options.logger.warn(
      { ...this.latest, dropped: this.total, droppedSinceLastLine: this.unlogged, intervalMs: this.intervalMs },
      `${this.options.message} (${this.unlogged} more since the last line)`,
    );
    this.unlogged = 0;
  }
}
