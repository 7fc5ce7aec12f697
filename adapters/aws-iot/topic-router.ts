import { type Logger } from '../../core/index.js';
import { topicMatches } from '../../core/internal.js';
import type { AwsLink } from './aws-link.js';

export type TopicHandler = (topic: string, payload: Uint8Array, retain: boolean) => void;

/** A handler's hold on a filter. */
export interface TopicLease {
  /** Settles once the broker confirmed the subscription (at once while offline: the reconnect restores it). */
  readonly ready: Promise<void>;
  /** Drops the handler; the last one to go unsubscribes the filter. Idempotent. */
  release(): void;
}

/**
 * Ref-counted subscriptions over one AwsLink: the first handler of a filter subscribes,
 * the last one unsubscribes; the connection restores live filters after every reconnect.
 */
export class TopicRouter {
  private readonly handlers = new Map<string, Set<TopicHandler>>();
  /**
   * UNSUBSCRIBEs not yet acknowledged. A new SUBSCRIBE of the same filter waits for them: a
   * broker (aedes) may apply the two out of order and drop the fresh subscription.
   */
  private readonly unsubscribing = new Map<string, Promise<void>>();

  constructor(
    private readonly connection: AwsLink,
    private readonly qos: 0 | 1,
    private readonly logger: Logger,
  ) {}

  add(filter: string, handler: TopicHandler): TopicLease {
    let set = this.handlers.get(filter);
    let ready: Promise<void> = Promise.resolve();
    if (!set) {
      set = new Set();
      this.handlers.set(filter, set);
      const previous = this.unsubscribing.get(filter) ?? Promise.resolve();
      ready = previous.then(() => this.connection.subscribe([filter], this.qos));
      ready.catch((error: unknown) => this.logger.warn({ filter, err: String(error) }, 'subscription refused'));
    }
    set.add(handler);
    const held = set;
    let released = false;
    return {
      ready,
      release: () => {
        if (released) return;
        released = true;
        held.delete(handler);
        if (held.size > 0 || this.handlers.get(filter) !== held) return;
        this.handlers.delete(filter);
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

  dispatch(topic: string, payload: Uint8Array, retain: boolean): void {
    for (const [filter, set] of this.handlers) {
      if (topicMatches(filter, topic)) for (const handler of set) handler(topic, payload, retain);
    }
  }
}
