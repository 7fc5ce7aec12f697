import type { IPublishPacket } from 'mqtt';
import { type Logger } from '../../core/index.js';
import { hasWildcard, topicMatches } from '../../core/internal.js';
import type { MqttConnection } from '../../core/mqtt.js';

/** One received message, as handed to topic handlers. */
export interface TopicMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly packet: IPublishPacket;
}

export type TopicHandler = (message: TopicMessage) => void;

/** A handler's hold on a filter. */
export interface TopicLease {
  /** Settles once the broker confirmed the subscription (rejects if it refused it). */
  readonly ready: Promise<void>;
  /** Drops the handler; the last one to go unsubscribes the filter. Idempotent. */
  release(): void;
}

interface Entry {
  readonly handlers: Set<TopicHandler>;
  /** The SUBACK of the current connection, or a promise settled by the next resubscribe. */
  ready: Promise<void>;
  settle?: { resolve(): void; reject(error: unknown): void };
}

/**
 * Ref-counted MQTT subscriptions for a client with a clean session: the first handler of a
 * filter subscribes, the last one unsubscribes, and `resubscribeAll()` restores every live filter
 * after a reconnect. Messages go to every handler whose filter matches.
 */
export class TopicSubscriptions {
  private readonly exact = new Map<string, Entry>();
  private readonly wildcard = new Map<string, Entry>();
  /**
   * UNSUBSCRIBEs not yet acknowledged. A new SUBSCRIBE of the same filter waits for them: aedes
   * applies the two asynchronously and may finish the UNSUBSCRIBE last, silently dropping the
   * fresh subscription.
   */
  private readonly unsubscribing = new Map<string, Promise<void>>();

  constructor(
    private readonly connection: MqttConnection,
    private readonly qos: 0 | 1 | 2,
    private readonly logger: Logger,
  ) {}

  add(filter: string, handler: TopicHandler): TopicLease {
    const map = hasWildcard(filter) ? this.wildcard : this.exact;
    let entry = map.get(filter);
    if (!entry) {
      entry = { handlers: new Set(), ready: Promise.resolve() };
      map.set(filter, entry);
      this.subscribe(filter, entry);
    }
    entry.handlers.add(handler);
    const held = entry;
    let released = false;
    return {
      ready: held.ready,
      release: () => {
        if (released) return;
        released = true;
        held.handlers.delete(handler);
        if (held.handlers.size > 0 || map.get(filter) !== held) return;
        map.delete(filter);
        held.settle?.resolve();
        const done = this.connection
          .unsubscribe([filter])
          .catch((error: unknown) => this.logger.debug({ filter, err: String(error) }, 'unsubscribe failed'))
          .finally(() => {
            if (this.unsubscribing.get(filter) === done) this.unsubscribing.delete(filter);
          });
        this.unsubscribing.set(filter, done);
      },
    };
  }

  /** Hands a message to every matching handler. */
  dispatch(message: TopicMessage): void {
    this.exact.get(message.topic)?.handlers.forEach((handler) => handler(message));
    for (const [filter, entry] of this.wildcard) {
      if (topicMatches(filter, message.topic)) entry.handlers.forEach((handler) => handler(message));
    }
  }

  /** After a connect with a fresh session: subscribes every live filter again. */
  async resubscribeAll(): Promise<void> {
    const entries = [...this.exact, ...this.wildcard];
    if (entries.length === 0) return;
    const pending = entries.map(([filter, entry]) => {
      const settle = entry.settle;
      entry.settle = undefined;
      entry.ready = this.connection.subscribe({ [filter]: { qos: this.qos } });
      entry.ready.then(
        () => settle?.resolve(),
        (error: unknown) => settle?.reject(error),
      );
      return entry.ready;
    });
    await Promise.all(pending);
  }

  private subscribe(filter: string, entry: Entry): void {
    if (this.connection.connected) {
      const previous = this.unsubscribing.get(filter);
      const subscribe = (): Promise<void> => this.connection.subscribe({ [filter]: { qos: this.qos } });
      entry.ready = previous ? previous.then(subscribe) : subscribe();
    } else {
      // Offline: the next resubscribeAll() settles it.
      entry.ready = new Promise<void>((resolve, reject) => (entry.settle = { resolve, reject }));
    }
    // Refusals are reported to whoever awaits `ready`; keep them from being unhandled otherwise.
    entry.ready.catch((error: unknown) => this.logger.warn({ filter, err: String(error) }, 'subscription refused'));
  }
}
