import { Subject, type Observable } from 'rxjs';
import {
  isJsonObject,
  TransportError,
  type Clock,
  type JsonObject,
} from '../../core/index.js';
import type { MqttBaseLike } from './sdk-mqtt.js';

/**
 * Device twin requests over the SDK's MQTT connection, with the status codes the SDK's own twin
 * client throws away (see sdk-mqtt.ts): `GET` the whole twin, `PATCH` reported properties (204
 * with the new `$version`, 400 malformed, 429 throttled, 5xx), and desired-property notifications
 * with their `$version` read from the topic.
 */

/** The twin as a device reads it; each section carries its `$version`. */
export interface DeviceTwin {
  readonly desired: JsonObject;
  readonly desiredVersion: number;
  readonly reported: JsonObject;
  readonly reportedVersion: number;
}

/** One desired-property notification. */
export interface DesiredNotification {
  readonly patch: JsonObject;
  readonly version: number;
}

const RESPONSE_FILTER = '$iothub/twin/res/#';
const DESIRED_FILTER = '$iothub/twin/PATCH/properties/desired/#';
const RESPONSE_PREFIX = '$iothub/twin/res/';
const DESIRED_PREFIX = '$iothub/twin/PATCH/properties/desired/';

interface Pending {
  readonly resolve: (answer: { status: number; query: URLSearchParams; body: Buffer }) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: { cancel(): void };
}

export class TwinChannel {
  private readonly desiredSubject = new Subject<DesiredNotification>();
  private readonly pending = new Map<string, Pending>();
  private nextRid = 1;
  private readonly listener = (topic: string, payload: Buffer): void => this.onMessage(topic, payload);

  constructor(
    private readonly base: MqttBaseLike,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
    private readonly onInvalidNotification: (reason: string) => void = () => undefined,
  ) {
    base.on('message', this.listener);
  }

  /** Desired-property notifications as they arrive (only while subscribed and connected). */
  get desired$(): Observable<DesiredNotification> {
    return this.desiredSubject.asObservable();
  }

  /** Subscribes to twin responses and desired notifications (QoS 0, as the SDK does). */
  async subscribe(): Promise<void> {
    await Promise.all([this.subscribeTo(RESPONSE_FILTER), this.subscribeTo(DESIRED_FILTER)]);
  }

  async get(): Promise<DeviceTwin> {
    const answer = await this.request('$iothub/twin/GET/', ' ');
    if (answer.status !== 200) throw twinError('twin GET', answer.status, answer.body);
    let twin: unknown;
    try {
      twin = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new TransportError('transport_failed', 'the hub answered the twin GET with something that is not JSON');
    }
    if (!isJsonObject(twin) || !isJsonObject(twin['desired']) || !isJsonObject(twin['reported'])) {
      throw new TransportError('transport_failed', 'the hub answered the twin GET without desired and reported sections');
    }
    const { $version: desiredVersion, ...desired } = twin['desired'];
    const { $version: reportedVersion, ...reported } = twin['reported'];
    return { desired, desiredVersion: Number(desiredVersion) || 0, reported, reportedVersion: Number(reportedVersion) || 0 };
  }

  /** Sends a reported-properties patch; resolves with the new reported `$version`. */
  async patchReported(patch: JsonObject): Promise<number | undefined> {
    const answer = await this.request('$iothub/twin/PATCH/properties/reported/', JSON.stringify(patch));
    if (answer.status < 200 || answer.status >= 300) throw twinError('reported properties patch', answer.status, answer.body);
    const version = Number(answer.query.get('$version'));
    return Number.isFinite(version) && version > 0 ? version : undefined;
  }

  /** Rejects every request still waiting (the connection is gone; their answers never come). */
  failPending(error: unknown): void {
    for (const [rid, pending] of this.pending) {
      this.pending.delete(rid);
      pending.timer.cancel();
      pending.reject(error);
    }
  }

  dispose(): void {
    this.base.removeListener('message', this.listener);
    this.failPending(new TransportError('closed', 'the twin channel was closed'));
    this.desiredSubject.complete();
  }

  private subscribeTo(filter: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.base.subscribe(filter, { qos: 0 }, (error, granted) => {
        if (error) reject(new TransportError('unavailable', `subscribing to ${filter} failed: ${error.message}`, { cause: error }));
        else if (granted?.some((grant) => grant.qos >= 128)) reject(new TransportError('transport_failed', `the hub refused the subscription to ${filter}`));
        else resolve();
      });
    });
  }

  private request(path: string, body: string): Promise<{ status: number; query: URLSearchParams; body: Buffer }> {
    // Our own prefix: the SDK's twin client ignores answers to request ids it did not send.
    const rid = `amora-${(this.nextRid++).toString(36)}`;
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(rid);
        reject(new TransportError('timeout', `the hub did not answer the twin request within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
      this.base.publish(`${path}?$rid=${rid}`, body, { qos: 0, retain: false }, (error) => {
        if (!error) return;
        const pending = this.pending.get(rid);
        if (!pending) return;
        this.pending.delete(rid);
        timer.cancel();
        reject(new TransportError('unavailable', `twin request not sent: ${error.message}`, { cause: error }));
      });
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic.startsWith(RESPONSE_PREFIX)) {
      const [path, query] = splitQuery(topic.slice(RESPONSE_PREFIX.length));
      const rid = query.get('$rid');
      const pending = rid === null ? undefined : this.pending.get(rid);
      if (!pending || rid === null) return;
      this.pending.delete(rid);
      pending.timer.cancel();
      pending.resolve({ status: Number.parseInt(path, 10), query, body: payload });
    } else if (topic.startsWith(DESIRED_PREFIX)) {
      this.onDesired(topic, payload);
    }
  }

  private onDesired(topic: string, payload: Buffer): void {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.onInvalidNotification('desired-property notification is not JSON');
      return;
    }
    if (!isJsonObject(body)) {
      this.onInvalidNotification('desired-property notification is not a JSON object');
      return;
    }
    const [, query] = splitQuery(topic.slice(DESIRED_PREFIX.length));
    const { $version: bodyVersion, ...patch } = body;
    const version = Number(query.get('$version') ?? bodyVersion);
    if (!Number.isSafeInteger(version)) {
      this.onInvalidNotification('desired-property notification without a $version');
      return;
    }
    this.desiredSubject.next({ patch, version });
  }
}

function splitQuery(topic: string): [string, URLSearchParams] {
  const at = topic.indexOf('?');
  return at < 0 ? [topic, new URLSearchParams()] : [topic.slice(0, at), new URLSearchParams(topic.slice(at + 1))];
}

/** A twin request the hub refused; `details.status` keeps the hub's status (429 means throttled). */
function twinError(what: string, status: number, body: Buffer): TransportError {
  let reason = '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    if (typeof message === 'string') reason = `: ${message}`;
  } catch {
    // no readable reason
  }
  const code = status === 429 || status >= 500 ? 'unavailable' : status === 413 ? 'payload_too_large' : 'transport_failed';
  return new TransportError(code, `the hub refused the ${what} with status ${status}${reason}`, { details: { status } });
}
