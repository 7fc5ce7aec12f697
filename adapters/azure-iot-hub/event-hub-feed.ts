import { EventHubConsumerClient, type Subscription } from '@azure/event-hubs';
import { Observable, Subject } from 'rxjs';
import {
  type Logger,
} from '../../core/index.js';
import { decodeHubEvent, type HubEvent } from './hub-event.js';

export interface EventHubFeedOptions {
  readonly connectionString: string;
  readonly consumerGroup: string;
  /** Start this long before now (ms): a restarted reader sees what happened while it was down. */
  readonly resumeOverlapMs: number;
  readonly logger: Logger;
}

/**
 * The controller's reader of the hub's Event Hub-compatible endpoint: one `EventHubConsumerClient`
 * subscribed to every partition from "now minus the overlap", its events decoded into
 * {@link HubEvent}s. No checkpoints: what is older than the overlap is read from the twin instead.
 * The SDK re-establishes dropped connections and resumes each partition after its last event.
 */
export class EventHubFeed {
  private readonly subject = new Subject<HubEvent>();
  private client: EventHubConsumerClient | undefined;
  private subscription: Subscription | undefined;
  private readonly initialized = new Set<string>();

  constructor(private readonly options: EventHubFeedOptions) {}

  /** Every decoded event, live (hot: nothing is replayed to late subscribers). */
  get events$(): Observable<HubEvent> {
    return this.subject.asObservable();
  }

  /** Partitions whose reader has started. */
  get partitionsStarted(): number {
    return this.initialized.size;
  }

  start(): void {
    if (this.client) return;
    const { logger } = this.options;
    this.client = new EventHubConsumerClient(this.options.consumerGroup, this.options.connectionString);
    this.subscription = this.client.subscribe(
      {
        processInitialize: async (context) => {
          this.initialized.add(context.partitionId);
        },
        processEvents: async (events) => {
          for (const event of events) {
            const decoded = decodeHubEvent(event);
            if (decoded) this.subject.next(decoded);
          }
        },
        processError: async (error, context) => {
          // The SDK retries and reconnects by itself; the twin reads stay the source of truth.
          logger.debug({ partitionId: context.partitionId, err: { name: error.name, message: error.message } }, 'Event Hub reader error; the client retries');
        },
      },
      // Batches of one: events already queued are handed over at once. An event arriving at an
      // idle reader still waits the SDK's fixed 20 ms read interval (partitionReceiver.js,
      // qReadIntervalInMs), the floor of this path's latency; larger batches wait no less.
      { startPosition: { enqueuedOn: new Date(Date.now() - this.options.resumeOverlapMs) }, maxBatchSize: 1, maxWaitTimeInSeconds: 5, prefetchCount: 300 },
    );
  }

  async close(): Promise<void> {
    const { subscription, client } = this;
    this.subscription = undefined;
    this.client = undefined;
    await subscription?.close().catch(() => undefined);
    await client?.close().catch(() => undefined);
    this.subject.complete();
  }
}
