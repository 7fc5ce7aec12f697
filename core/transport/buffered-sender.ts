import type { Clock } from '../clock.js';
import { isAmoraError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { DropLog } from '../telemetry/drop-log.js';
import { Outbox, type DrainResult } from '../telemetry/outbox.js';
import type { OutboxStore } from '../telemetry/outbox-store.js';
import type { ConnectionStatus } from './connection-status.js';

export interface BufferedSenderOptions<M> {
  /** Most messages kept while offline; one more drops the oldest (counted, logged). */
  readonly capacity: number;
  /** Sends one message on the live connection; rejects when it cannot. */
  readonly send: (message: M) => Promise<void>;
  /**
   * True while the connection is up: a send failing then is the far end refusing the message (the
   * caller's to see), not a lost connection (the message waits for the next one).
   */
  readonly connected: () => boolean;
  /** Receives the outbox counters after every change (for ConnectionStatus.outbox). */
  readonly onStats: (stats: NonNullable<ConnectionStatus['outbox']>) => void;
  readonly logger: Logger;
  /** What a log line says about a message (its topic or kind), never its payload. */
  readonly describe: (message: M) => Record<string, unknown>;
  /**
   * Where queued messages survive a restart (a DeviceStorage's outbox for this transport); memory
   * only without it.
   */
  readonly store?: OutboxStore<M>;
  /** Times the drop log's summaries. */
  readonly clock?: Clock;
}

/**
 * The sending half every device transport shares: while `ready` (the resync after a connect is
 * done) messages go straight out; otherwise, or when the connection drops under a send, they
 * wait in a bounded Outbox and the resync drains them. A message refused as too large is the
 * caller's error at once: it would be refused again at every drain.
 */
export class BufferedSender<M> {
  private readonly outbox: Outbox<M>;
  /** Made at the first drop: most senders never drop anything. */
  private drops?: DropLog;
  private isReady = false;
  private stopped = false;

  constructor(private readonly options: BufferedSenderOptions<M>) {
    this.outbox = new Outbox<M>({
      capacity: options.capacity,
      ...(options.store ? { store: options.store } : {}),
      onOverflow: (_dropped, lost) => {
        // One line for the first drop, then a summary at most every 10 s: a long outage must not flood the log.
        this.drops ??= new DropLog({ logger: options.logger, message: 'outbox full; dropped the oldest message', ...(options.clock ? { clock: options.clock } : {}) });
        this.drops.note(options.describe(lost));
        this.report();
      },
    });
    this.report();
  }

  /** True once the resync after a connect is done: sends go straight out. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Messages waiting for the connection. */
  get size(): number {
    return this.outbox.size;
  }

  /** The resync is done: send directly from now on. */
  open(): void {
    if (!this.stopped) this.isReady = true;
  }

  /** The connection is gone: queue from now on. */
  pause(): void {
    this.isReady = false;
  }

  /** The transport stopped: nothing more is queued (what still comes is logged and dropped). */
  close(): void {
    this.stopped = true;
    this.isReady = false;
    this.drops?.flush();
  }

  /**
   * Sends now when ready, else keeps the message for the next connect. Not an async function:
   * chaining on the send's own promise costs one promise and one hop fewer than awaiting it.
   */
  send(message: M): Promise<void> {
    if (!this.isReady) return this.keep(message);
    let sent: Promise<void>;
    try {
      sent = this.options.send(message);
    } catch (error) {
      sent = Promise.reject(error);
    }
    return sent.catch((error: unknown) => {
      if (this.options.connected() || (isAmoraError(error) && error.code === 'payload_too_large')) throw error;
      return this.keep(message);
    });
  }

  /** Queues a message for the next connect (logged and dropped once stopped); never throws. */
  private keep(message: M): Promise<void> {
    if (this.stopped) {
      this.options.logger.warn(this.options.describe(message), 'transport stopped; message not sent');
      return Promise.resolve();
    }
    try {
      this.outbox.push(message);
    } catch (error) {
      return Promise.reject(error);
    }
    this.report();
    return Promise.resolve();
  }

  /**
   * Sends what waited, oldest first, through `send` (default: the options' send). Stops at the
   * first failure (reported in the result; the rest stays queued).
   */
  async drain(send: (message: M) => Promise<void> = this.options.send): Promise<DrainResult> {
    const result = await this.outbox.drain(send);
    this.report();
    return result;
  }

  private report(): void {
    this.options.onStats(this.outbox.stats());
  }
}
