import type { Clock } from '../clock.js';
import type { JsonObject, JsonValue } from '../state/json.js';
import { deepEqual } from '../state/merge-patch.js';

/** The `<profile>Status` message, the AmoraSDK Azure guide's `playerStatus` body for the player profile. */
export interface StatusMessage {
  readonly [key: string]: JsonValue;
  readonly messageType: string;
  readonly deviceId: string;
  /** ISO 8601 UTC, seconds precision, as the guide writes it (`2024-05-01T12:00:00Z`). */
  readonly timestamp: string;
  readonly status: JsonValue;
}

export interface StatusTelemetryOptions {
  /** `<profile>Status`. */
  readonly messageType: string;
  readonly deviceId: string;
  /** A message at least this often, ms. */
  readonly intervalMs: number;
  /** The least time between two messages caused by changes, ms. */
  readonly minIntervalMs: number;
  readonly clock: Clock;
  /** The status part of the message, from reported state. */
  readonly status: (reported: JsonObject) => JsonValue;
  readonly reported: () => JsonObject;
  readonly send: (message: StatusMessage) => void;
}

/**
 * Sends the device's status as one self-contained message: when started, whenever the status
 * changes (no more than one per `minIntervalMs`; the latest change is sent when that gap has
 * passed) and after `intervalMs` without any. Position ticks of a playing track do not change the
 * player's status, so they cause no message.
 */
export class StatusTelemetry {
  private lastStatus: JsonValue | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private interval?: { cancel(): void };
  private gap?: { cancel(): void };
  private running = false;

  constructor(private readonly options: StatusTelemetryOptions) {}

  start(): void {
    this.running = true;
    this.send();
  }

  stop(): void {
    this.running = false;
    this.interval?.cancel();
    this.gap?.cancel();
  }

  /** Reported state changed: send if the status did, respecting the gap. */
  onStateChange(): void {
    if (!this.running || this.gap) return;
    if (deepEqual(this.options.status(this.options.reported()), this.lastStatus ?? null)) return;
    const wait = this.lastSentAt + this.options.minIntervalMs - this.options.clock.now();
    if (wait <= 0) {
      this.send();
      return;
    }
    this.gap = this.options.clock.setTimeout(() => {
      this.gap = undefined;
      if (!deepEqual(this.options.status(this.options.reported()), this.lastStatus ?? null)) this.send();
    }, wait);
  }

  private send(): void {
    if (!this.running) return;
    const { clock } = this.options;
    const status = this.options.status(this.options.reported());
    this.lastStatus = status;
    this.lastSentAt = clock.now();
    this.interval?.cancel();
    this.interval = clock.setTimeout(() => this.send(), this.options.intervalMs);
    this.options.send({
      messageType: this.options.messageType,
      deviceId: this.options.deviceId,
      timestamp: new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      status,
    });
  }
}
