import type { TransportError } from '../errors.js';

/** Told once how a publish ended: without an error when acknowledged, else why not. */
export type PublishDone = (error?: TransportError) => void;

/** One publish waiting for its acknowledgement (see UnacknowledgedPublishes). */
export interface Unacknowledged<Client> {
  readonly client: Client;
  readonly topic: string;
  /** Until told; dropped then (see UnacknowledgedPublishes). */
  done: PublishDone | undefined;
  previous: Unacknowledged<Client> | undefined;
  next: Unacknowledged<Client> | undefined;
}

/**
 * The publishes a connection has sent and not yet had acknowledged, so that a connection lost
 * before their acknowledgement fails them (see MqttConnection.send). Each is told once, and after
 * that its entry keeps nothing of the caller's.
 *
 * Why it is built so, for a fleet of agents in one process that publishes every second:
 * - A list linked through its entries, not a Map or a Set. A Map's table, which V8 shrinks on the
 *   delete that empties it and grows again on the next add, is a new table for every publish
 *   (about 150 bytes, measured on Node 20); held by the long-lived connection, each survives the
 *   next scavenge and is promoted.
 * - `done` is dropped once called. mqtt.js keeps the callback it was given in objects of its own,
 *   and V8 may allocate those in the old generation directly (allocation-site pretenuring, decided
 *   while the process runs). A dead old object still keeps what it points to through the next
 *   scavenge, so without the drop each publish's promise, its resolvers and their closures, and
 *   the message text they keep, were promoted with it.
 */
export class UnacknowledgedPublishes<Client> {
  private newest: Unacknowledged<Client> | undefined;

  /** Records a publish just sent on `client`. */
  add(client: Client, topic: string, done: PublishDone): Unacknowledged<Client> {
    const entry: Unacknowledged<Client> = { client, topic, done, previous: this.newest, next: undefined };
    if (this.newest) this.newest.next = entry;
    this.newest = entry;
    return entry;
  }

  /** Takes `entry` out and tells it `error` (none: acknowledged); false when it was told already. */
  settle(entry: Unacknowledged<Client>, error?: TransportError): boolean {
    const done = entry.done;
    if (!done) return false;
    entry.done = undefined;
    if (entry.next) entry.next.previous = entry.previous;
    else this.newest = entry.previous;
    if (entry.previous) entry.previous.next = entry.next;
    entry.previous = undefined;
    entry.next = undefined;
    done(error);
    return true;
  }

  /** Takes out every publish sent on `client` and tells each, oldest first, the error made for it. */
  settleAll(client: Client, errorFor: (entry: Unacknowledged<Client>) => TransportError): void {
    // Gathered newest first (the list's only end), told oldest first.
    const lost: Unacknowledged<Client>[] = [];
    for (let entry = this.newest; entry; entry = entry.previous) {
      if (entry.client === client) lost.push(entry);
    }
    for (let index = lost.length - 1; index >= 0; index--) this.settle(lost[index]!, errorFor(lost[index]!));
  }
}
