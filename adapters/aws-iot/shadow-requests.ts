import {
  TimeoutError,
  TransportError,
  type AmoraErrorCode,
  type Clock,
  type JsonObject,
} from '../../core/index.js';
import {
  parseGetAccepted,
  parseRejected,
  parseUpdateAccepted,
  type ParsedGetAccepted,
} from './shadow-document.js';
import { parseShadowTopic, shadowTopic, type ShadowTopicSuffix } from './shadow-topics.js';

/** Publishes a request on behalf of the shadow client. */
export type ShadowPublish = (topic: string, payload: string) => Promise<void>;

/** A shadow request the service answered on `/rejected`; `details.status` is its code (400, 404, 409, 413, …). */
export class ShadowRejectedError extends TransportError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(codeFor(status), `shadow request rejected (${status}): ${message}`, { details: { status } });
  }
}

function codeFor(status: number): AmoraErrorCode {
  if (status === 400) return 'invalid_params';
  if (status === 401 || status === 403) return 'authentication_failed';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'busy';
  return 'transport_failed';
}

interface Pending {
  readonly operation: 'get' | 'update';
  resolve(payload: Uint8Array): void;
  reject(error: unknown): void;
}

/**
 * Request/response over the shadow topics of one thing (classic or named shadow): a request
 * carries a fresh clientToken and waits for the `/accepted` or `/rejected` message echoing it.
 * Accepted updates that are not ours go to `onForeignUpdate`, so the caller's view of the
 * shadow follows changes made by others (a controller setting desired state).
 */
export class ShadowRequests {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;
  private readonly tokenPrefix: string;

  constructor(
    private readonly thingName: string,
    private readonly shadowName: string | undefined,
    private readonly publish: ShadowPublish,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onForeignUpdate: (payload: Uint8Array) => void,
  ) {
    this.tokenPrefix = `amora-${Math.random().toString(36).slice(2, 8)}`;
  }

  /** The response topics to subscribe to before any request. */
  responseTopics(): string[] {
    const suffixes: ShadowTopicSuffix[] = ['get/accepted', 'get/rejected', 'update/accepted', 'update/rejected'];
    return suffixes.map((suffix) => this.topic(suffix));
  }

  topic(suffix: ShadowTopicSuffix): string {
    return shadowTopic(this.thingName, this.shadowName, suffix);
  }

  /** Routes a message on a response topic; false when the topic is not one of ours. */
  handle(topic: string, payload: Uint8Array): boolean {
    const parsed = parseShadowTopic(topic);
    if (!parsed || parsed.thingName !== this.thingName || parsed.shadowName !== this.shadowName) return false;
    if (parsed.result !== 'accepted' && parsed.result !== 'rejected') return false;
    if (parsed.operation === 'delete') return false;
    const rejected = parsed.result === 'rejected' ? parseRejected(payload) : undefined;
    const token = rejected ? rejected.clientToken : readToken(payload);
    const waiter = token === undefined ? undefined : this.pending.get(token);
    if (waiter && waiter.operation === parsed.operation) {
      this.pending.delete(token!);
      if (rejected) waiter.reject(new ShadowRejectedError(rejected.code, rejected.message));
      else if (parsed.result === 'rejected') waiter.reject(new ShadowRejectedError(500, 'unreadable rejection'));
      else waiter.resolve(payload);
      return true;
    }
    if (parsed.operation === 'update' && parsed.result === 'accepted') this.onForeignUpdate(payload);
    return true;
  }

  /** The whole shadow, or undefined when it does not exist (404). */
  async get(): Promise<ParsedGetAccepted | undefined> {
    try {
      const payload = await this.request('get', {});
      const parsed = parseGetAccepted(payload);
      if (!parsed) throw new TransportError('transport_failed', 'unreadable shadow document in get/accepted');
      return parsed;
    } catch (error) {
      if (error instanceof ShadowRejectedError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Sends an update; resolves with the shadow version it produced. */
  async update(state: { desired?: JsonObject | null; reported?: JsonObject | null }, version: number | undefined): Promise<{ version: number }> {
    const payload = await this.request('update', version === undefined ? { state } : { state, version });
    const accepted = parseUpdateAccepted(payload);
    if (!accepted) throw new TransportError('transport_failed', 'unreadable update/accepted message');
    return { version: accepted.version };
  }

  /** Fails every request still waiting (the connection went away). */
  failAll(error: unknown): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  private request(operation: 'get' | 'update', body: object): Promise<Uint8Array> {
    const clientToken = `${this.tokenPrefix}-${++this.counter}`;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pending.delete(clientToken)) {
          reject(new TimeoutError(`no answer to shadow ${operation} within ${this.timeoutMs} ms`));
        }
      }, this.timeoutMs);
      this.pending.set(clientToken, {
        operation,
        resolve: (payload) => {
          timer.cancel();
          resolve(payload);
        },
        reject: (error) => {
          timer.cancel();
          reject(error);
        },
      });
      this.publish(this.topic(operation), JSON.stringify({ ...body, clientToken })).catch((error: unknown) => {
        if (this.pending.delete(clientToken)) {
          timer.cancel();
          reject(error);
        }
      });
    });
  }
}

function readToken(payload: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(payload)) as { clientToken?: unknown };
    return typeof value.clientToken === 'string' ? value.clientToken : undefined;
  } catch {
    return undefined;
  }
}
