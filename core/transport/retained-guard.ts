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
    if (recent.ring.includes(fingerprint(payload)) || this.pending?.has(topic)) return;
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

const encoder = new TextEncoder();
/** Where a payload's UTF-8 is hashed; kept for payloads up to 64 KiB, a larger one gets its own. */
const SCRATCH_LIMIT = 64 * 1024;
let scratch = new Uint8Array(4096);
let blocks = new Int32Array(scratch.buffer);

/**
 * MurmurHash3 (x86, 32 bits) over the payload's UTF-8 bytes, four at a time (in the platform's
 * byte order: fingerprints never leave the process), cut to 30 bits so it stays a small integer
 * (no number allocated per publish): a stranger's payload passes for one of our last eight about
 * once in 130 million. A state is hashed on every publish, and a loop over the text's characters
 * cost more than the rest of the publish in core (charCodeAt is no plain array read).
 */
function fingerprint(payload: string | Uint8Array): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const room = typeof payload === 'string' ? payload.length * 3 : payload.byteLength;
  if (room > scratch.byteLength) {
    const bytes = new Uint8Array((room + 3) & ~3);
    if (room > SCRATCH_LIMIT) return murmur(payload, bytes, new Int32Array(bytes.buffer));
    scratch = bytes;
    blocks = new Int32Array(bytes.buffer);
  }
  return murmur(payload, scratch, blocks);
}

/** The hash of `payload` encoded into `bytes` (room enough), `words` a 32-bit view of the same buffer. */
function murmur(payload: string | Uint8Array, bytes: Uint8Array, words: Int32Array): number {
  let length: number;
  if (typeof payload === 'string') {
    length = encoder.encodeInto(payload, bytes).written;
  } else {
    bytes.set(payload);
    length = payload.byteLength;
  }
  let hash = 0;
  const whole = length >>> 2;
  for (let i = 0; i < whole; i++) {
    hash ^= mixBlock(words[i]!);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = length - 1; i >= whole << 2; i--) tail = (tail << 8) | bytes[i]!;
  hash ^= mixBlock(tail) ^ length;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) & 0x3fffffff;
}

function mixBlock(block: number): number {
  const k = Math.imul(block, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}
