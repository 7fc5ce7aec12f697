import type { Clock } from '../clock.js';
import type { Logger } from '../logging/logger.js';

/** How many recent payloads per topic count as our own (a late echo of an older one is no stranger). */
const REMEMBERED = 8;
/** An empty slot: fingerprints are never negative. */
const NO_FINGERPRINT = -1;

/**
 * Keeps a device's own retained topics (state, presence) its own. The transport subscribes to
 * them, tells the guard what it published and what arrived; anything else arriving there
 * (another client's retained message, or an empty one that deleted ours) makes the guard ask the
 * transport to republish its current message there, once per `delayMs` however many strangers
 * arrive, so two clients fighting over a topic cannot flood the broker.
 *
 * The guard keeps fingerprints of what was published, not the texts: a fleet publishes state
 * every second, and a text kept per device until the next one is memory the garbage collector
 * copies on every collection.
 */
export class RetainedGuard {
  /**
   * Per topic, fingerprints of our recent payloads (a late echo of an older one is no stranger),
   * in a ring of REMEMBERED slots: an array grown by push would reserve 17.
   */
  private readonly own = new Map<string, { readonly ring: number[]; next: number }>();
  /** Restores waiting for their delay; made for the first stranger (most devices never meet one). */
  private pending?: Map<string, { cancel(): void }>;
  private restoredCount = 0;

  constructor(
    /** Republishes the transport's current message on `topic`. */
    private readonly restore: (topic: string) => Promise<void>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly delayMs = 250,
  ) {}

  /** Times a foreign message was overwritten with ours. */
  get restored(): number {
    return this.restoredCount;
  }

  /** We (re)published `payload` on `topic`; call before publishing. */
  published(topic: string, payload: string): void {
    let recent = this.own.get(topic);
    if (!recent) {
      recent = { ring: Array.from({ length: REMEMBERED }, () => NO_FINGERPRINT), next: 0 };
      this.own.set(topic, recent);
    }
    recent.ring[recent.next] = fingerprint(payload);
    recent.next = (recent.next + 1) % REMEMBERED;
  }

  /** A message arrived on one of the guarded topics. */
  received(topic: string, payload: Uint8Array): void {
    const recent = this.own.get(topic);
    if (!recent) return; // nothing of ours there yet
    if (recent.ring.includes(fingerprint(new TextDecoder().decode(payload))) || this.pending?.has(topic)) return;
    this.logger.warn(
      { topic, bytes: payload.byteLength },
      payload.byteLength === 0 ? 'our retained message was deleted; restoring it' : 'another client overwrote our retained message; restoring it',
    );
    const pending = (this.pending ??= new Map());
    pending.set(
      topic,
      this.clock.setTimeout(() => {
        pending.delete(topic);
        this.restoredCount++;
        this.restore(topic).catch((error: unknown) =>
          this.logger.warn({ topic, err: { message: (error as Error).message } }, 'restoring our retained message failed'),
        );
      }, this.delayMs),
    );
  }

  /** Cancels pending restores (the transport stops). */
  close(): void {
    if (!this.pending) return;
    for (const timer of this.pending.values()) timer.cancel();
    this.pending.clear();
  }
}

/**
 * FNV-1a over the UTF-16 code units, cut to 30 bits so it stays a small integer (no number
 * allocated per publish): a stranger's payload passes for one of our last eight about once in
 * 130 million.
 */
function fingerprint(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash & 0x3fffffff;
}
