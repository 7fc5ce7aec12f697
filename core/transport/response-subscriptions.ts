/** A hold on one subscription, as a controller's topic registry hands it out. */
export interface SubscriptionLease {
  /** Settles once the broker confirmed the subscription (rejects if it refused it). */
  readonly ready: Promise<void>;
  release(): void;
}

interface Held {
  readonly lease: SubscriptionLease;
  /** The broker confirmed it (or a refusal was accepted): commands leave without waiting. */
  confirmed: boolean;
  /** sendNow() has asked to be told of a refusal. */
  watched: boolean;
}

/**
 * Which responses topics a controller subscribes: each device's own, before the first command to
 * it (`device`), or every device's through one wildcard (`fleet`: no SUBSCRIBE per device, but the
 * answers of every device to every controller arrive).
 */
export type ResponseScope = 'device' | 'fleet';

/**
 * The devices' responses topics a controller listens on: each subscribed before the first command
 * to its device (or, with scope `fleet`, one subscription for all, before the first command), then
 * kept for the controller's life, so a command costs no SUBSCRIBE round trip.
 *
 * Only the first command to a device waits for the SUBACK; once it came, commands are sent in the
 * same call (a `then` on the settled SUBACK cost every command a promise hop, measurable in the
 * round trip). A refused subscription is forgotten, so the next command to that device asks
 * again, unless the caller can do without the topic (see `send`).
 */
export class ResponseSubscriptions {
  /** By device id, or under `undefined` the one subscription of scope `fleet`. */
  private readonly held = new Map<string | undefined, Held>();

  constructor(
    /** Subscribes the responses topic of `deviceId`, or every device's when it is undefined (scope `fleet`). */
    private readonly subscribe: (deviceId: string | undefined) => SubscriptionLease,
    private readonly scope: ResponseScope = 'device',
  ) {}

  /**
   * Runs `publish` once the responses topic of `deviceId` is subscribed. A refusal ends the command
   * with the broker's error, unless `tolerateRefusal` is given: then it is told once, the topic is
   * not asked for again, and commands are published all the same (an MQTT 5 controller also hears
   * answers on its own response topic).
   */
  send(deviceId: string, publish: () => Promise<void>, tolerateRefusal?: (error: unknown) => void): Promise<void> {
    const held = this.hold(deviceId);
    if (held.confirmed) return publish();
    return held.lease.ready.then(publish, (error: unknown) => {
      if (tolerateRefusal) {
        this.doWithout(held, error, tolerateRefusal);
        return publish();
      }
      const key = this.keyOf(deviceId);
      if (this.held.get(key) === held) {
        this.held.delete(key);
        held.lease.release();
      }
      throw error;
    });
  }

  /**
   * Runs `publish` at once, without waiting for a new subscription's SUBACK, for a command that
   * leaves on the subscription's own connection after its SUBSCRIBE (the broker handles a
   * connection's packets in order, so the subscription is in place before the command is
   * delivered) and whose answer has another way back (an MQTT 5 controller's own response topic).
   * A refusal is told once to `tolerateRefusal`; the topic is not asked for again.
   */
  sendNow(deviceId: string, publish: () => Promise<void>, tolerateRefusal: (error: unknown) => void): Promise<void> {
    const held = this.hold(deviceId);
    if (!held.confirmed && !held.watched) {
      held.watched = true;
      held.lease.ready.catch((error: unknown) => this.doWithout(held, error, tolerateRefusal));
    }
    return publish();
  }

  /** Releases every subscription (the controller stops). */
  releaseAll(): void {
    for (const held of this.held.values()) held.lease.release();
    this.held.clear();
  }

  /** A tolerated refusal: told once; the entry stays, settled, so the topic is not asked for again. */
  private doWithout(held: Held, error: unknown, tolerateRefusal: (error: unknown) => void): void {
    if (held.confirmed) return;
    held.confirmed = true;
    held.lease.release();
    tolerateRefusal(error);
  }

  private keyOf(deviceId: string): string | undefined {
    return this.scope === 'fleet' ? undefined : deviceId;
  }

  private hold(deviceId: string): Held {
    const key = this.keyOf(deviceId);
    let held = this.held.get(key);
    if (!held) {
      const lease = this.subscribe(key);
      const created: Held = { lease, confirmed: false, watched: false };
      lease.ready.then(
        () => (created.confirmed = true),
        () => undefined,
      );
      held = created;
      this.held.set(key, held);
    }
    return held;
  }
}
