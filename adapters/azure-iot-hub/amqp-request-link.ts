import { randomUUID } from 'node:crypto';
import type { Connection, EventContext, Message, Receiver, Sender } from 'rhea';

/** What a request/response node (`$cbs`, `$management`) answered. */
export interface AmqpAnswer {
  readonly status: number;
  readonly description: string;
  readonly body: unknown;
}

/**
 * AMQP request/response as Event Hubs' `$cbs` and `$management` nodes speak it: a sender to the
 * node, a receiver whose target is our `reply_to` address, answers matched by `correlation_id`
 * and carrying `status-code` / `status-description` application properties. Requests wait for
 * the sender's credit; each has a deadline; close() fails those in flight.
 */
export class AmqpRequestLink {
  private readonly sender: Sender;
  private readonly receiver: Receiver;
  private readonly replyTo: string;
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<string, { resolve(answer: AmqpAnswer): void; reject(error: Error): void; timer: NodeJS.Timeout }>();

  constructor(
    connection: Connection,
    private readonly address: string,
    private readonly timeoutMs: number,
  ) {
    this.replyTo = `${address}-reply-${randomUUID()}`;
    this.receiver = connection.open_receiver({ name: this.replyTo, source: { address }, target: { address: this.replyTo }, credit_window: 10, autoaccept: true });
    this.sender = connection.open_sender({ target: { address } });
    this.receiver.on('message', (context: EventContext) => this.onAnswer(context.message!));
    this.sender.on('sendable', () => {
      while (this.waiting.length > 0 && this.sender.sendable()) this.waiting.shift()!();
    });
  }

  /** Sends `message` (its id and `reply_to` are set here) and resolves with the answer. */
  request(message: Message): Promise<AmqpAnswer> {
    const messageId = randomUUID();
    return new Promise<AmqpAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId);
        reject(new Error(`${this.address} did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(messageId, { resolve, reject, timer });
      const send = (): void => void this.sender.send({ ...message, message_id: messageId, reply_to: this.replyTo, to: this.address });
      if (this.sender.sendable()) send();
      else this.waiting.push(send);
    });
  }

  close(): void {
    for (const [id, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new Error(`${this.address}: the connection closed before the answer`));
      this.pending.delete(id);
    }
    this.waiting.length = 0;
  }

  private onAnswer(message: Message): void {
    const id = String(message.correlation_id);
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    clearTimeout(request.timer);
    const properties = (message.application_properties ?? {}) as Record<string, unknown>;
    request.resolve({
      status: Number(properties['status-code'] ?? properties['statusCode']),
      description: String(properties['status-description'] ?? properties['statusDescription'] ?? ''),
      body: message.body,
    });
  }
}
