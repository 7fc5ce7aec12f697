import type { DesiredNotification } from './twin-channel.js';

/** What to do with desired notifications: apply these, and/or fetch the whole twin again. */
export interface GateDecision {
  readonly apply: readonly DesiredNotification[];
  /** A version was skipped (a patch lost while reconnecting or renewing the token): GET the twin. */
  readonly resync: boolean;
}

/**
 * The correct reconnect flow for desired properties, which the SDK does not follow: subscribe,
 * GET the full twin, then apply only notifications whose `$version` is newer than the fetched one.
 * Notifications arriving while the GET is in flight are held and sorted out when it completes.
 * Merge patches are only right when none is missing, so a jump in versions asks for a new GET.
 */
export class DesiredVersionGate {
  private version: number | undefined;
  private syncing = false;
  private held: DesiredNotification[] = [];

  /** The last desired `$version` applied. */
  get current(): number | undefined {
    return this.version;
  }

  /** A full GET starts: hold notifications until it completes. */
  beginSync(): void {
    this.syncing = true;
    this.held = [];
  }

  /** The GET failed or the connection went away: forget what was held. */
  abortSync(): void {
    this.syncing = false;
    this.held = [];
  }

  /** The GET returned desired at `version`: the held notifications newer than it, in order. */
  completeSync(version: number): GateDecision {
    this.syncing = false;
    this.version = version;
    const held = this.held.toSorted((a, b) => a.version - b.version);
    this.held = [];
    let decision: GateDecision = { apply: [], resync: false };
    for (const notification of held) {
      const next = this.offer(notification);
      decision = { apply: [...decision.apply, ...next.apply], resync: decision.resync || next.resync };
    }
    return decision;
  }

  /** A notification arrived. */
  offer(notification: DesiredNotification): GateDecision {
    if (this.syncing) {
      this.held.push(notification);
      return { apply: [], resync: false };
    }
    if (this.version !== undefined && notification.version <= this.version) return { apply: [], resync: false };
    const gap = this.version !== undefined && notification.version > this.version + 1;
    this.version = notification.version;
    return { apply: [notification], resync: gap };
  }
}
