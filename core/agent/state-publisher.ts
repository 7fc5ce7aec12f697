import type { Clock } from '../clock.js';
import { toErrorObject } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { createMergePatch } from '../state/merge-patch.js';
import type { StateChange, StateSnapshot } from '../state/snapshot.js';
import type { DeviceTransport } from '../transport/device-transport.js';

/**
 * Feeds one transport with reported state, in order, with at most the transport's
 * `statesInFlight` publishes (default 1) awaiting their acknowledgement. Changes that arrive
 * while that many are in flight are coalesced: only the latest snapshot is sent next, with a
 * patch computed from the last one sent, so a slow transport never builds a backlog and never
 * sees patches out of order. A failed publish is logged; resync after a reconnect is the
 * transport's job.
 */
export class StatePublisher {
  private lastSent?: StateSnapshot;
  private pending?: StateSnapshot;
  private readonly window: number;
  private idleWaiters?: (() => void)[];
  private active = false;
  /**
   * When each publish in flight began, oldest first (they settle in the order sent on the
   * transports that allow more than one); its length is how many are in flight. Kept here rather
   * than in a closure per publish.
   */
  private readonly startedAt: number[] = [];
  private readonly onPublished = (): void => this.settled(true);
  private readonly onFailed = (error: unknown): void => {
    this.logger.warn({ transport: this.transport.id, version: this.lastSent?.version, err: toErrorObject(error) }, 'state publish failed');
    this.settled(false);
  };

  constructor(
    private readonly transport: DeviceTransport,
    private readonly logger: Logger,
    private readonly clock?: Clock,
    /** Told how each publish went and how long it took, ms (the agent's activity$). */
    private readonly onSettled?: (ok: boolean, durationMs: number) => void,
  ) {
    this.window = Math.max(1, Math.floor(transport.capabilities.statesInFlight ?? 1));
  }

  /** Starts publishing with the whole current state (the transport has just started). */
  begin(current: StateSnapshot): void {
    this.active = true;
    this.offer(current, undefined);
  }

  /** Stops publishing; what is in flight still completes (see idle()). */
  end(): void {
    this.active = false;
    this.pending = undefined;
  }

  push(change: StateChange): void {
    if (this.active) this.offer(change.snapshot, change.patch);
  }

  /** Resolves when no publish is in flight. */
  idle(): Promise<void> {
    if (this.startedAt.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  private offer(snapshot: StateSnapshot, patch: StateChange['patch'] | undefined): void {
    if (this.lastSent && snapshot.version <= this.lastSent.version) return;
    if (this.startedAt.length >= this.window) {
      this.pending = snapshot;
      return;
    }
    // The change's own patch is exact only for the direct successor of what was last sent.
    const exact = patch !== undefined && this.lastSent !== undefined && snapshot.version === this.lastSent.version + 1;
    this.send(snapshot, exact ? patch : createMergePatch(this.lastSent?.state ?? {}, snapshot.state));
  }

  private send(snapshot: StateSnapshot, patch: StateChange['patch']): void {
    this.lastSent = snapshot;
    this.startedAt.push(this.clock?.now() ?? 0);
    // One `then` with both handlers: a fleet publishes often, and each chained step is a promise.
    void this.transport.publishState(snapshot, patch).then(this.onPublished, this.onFailed);
  }

  /** After a publish: told to onSettled, then what is pending is offered; idle() told once nothing is in flight. */
  private settled(ok: boolean): void {
    const began = this.startedAt.shift() ?? 0;
    this.onSettled?.(ok, (this.clock?.now() ?? 0) - began);
    const next = this.pending;
    this.pending = undefined;
    if (next && this.active) this.offer(next, undefined);
    if (this.startedAt.length > 0 || !this.idleWaiters) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = undefined;
    for (const resolve of waiters) resolve();
  }
}
