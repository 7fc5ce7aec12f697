import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * Plain mqtt.js clients for broker security tests: connect once (no reconnect), and report a
 * refusal's CONNACK code instead of retrying, the way an attacker's or a user's client would see it.
 */
export interface RawClient {
  readonly client: MqttClient;
  /** Messages received, in order, as topic and text. */
  readonly received: { topic: string; text: string; retain: boolean }[];
  /** The granted QoS of one subscription (128 when the broker refused it). */
  subscribe(topic: string): Promise<number>;
  publish(topic: string, text: string, retain?: boolean): Promise<void>;
  /** Resolves once a message matching the predicate has arrived. */
  next(predicate: (topic: string, text: string) => boolean, timeoutMs?: number): Promise<{ topic: string; text: string; retain: boolean }>;
  /** Resolves when the broker closes the connection. */
  closed(): Promise<void>;
  end(): Promise<void>;
}

/** Connects or rejects with the broker's refusal (an Error whose `code` is the CONNACK return code). */
export async function connectRaw(url: string, options: IClientOptions = {}): Promise<RawClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(Object.assign(new Error('connection closed before CONNACK'), { code: 'closed' })));
  });
  const received: RawClient['received'] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, text: payload.toString('utf8'), retain: packet.retain });
    for (const wake of waiters) wake();
  });
  let isClosed = false;
  client.on('close', () => {
    isClosed = true;
    for (const wake of waiters) wake();
  });
  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const wake = (): void => {
        const value = check();
        if (value === undefined) return;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(received.map((m) => m.topic))}`));
      }, timeoutMs);
      waiters.add(wake);
      wake();
    });
  return {
    client,
    received,
    async subscribe(topic) {
      try {
        const granted = await client.subscribeAsync(topic, { qos: 1 });
        return granted[0]?.qos ?? 128;
      } catch {
        return 128;
      }
    },
    async publish(topic, text, retain = false) {
      await client.publishAsync(topic, text, { qos: 1, retain });
    },
    next: (predicate, timeoutMs = 10_000) => waitUntil(() => received.find((m) => predicate(m.topic, m.text)), timeoutMs, 'a message'),
    closed: () => waitUntil(() => (isClosed ? true : undefined), 30_000, 'the connection to close').then(() => undefined),
    end: () => client.endAsync(true),
  };
}

/** The CONNACK return code a refused connect rejected with (undefined when it connected). */
export async function refusalCode(attempt: Promise<RawClient>): Promise<number | string | undefined> {
  try {
    const connected = await attempt;
    await connected.end();
    return undefined;
  } catch (error) {
    return (error as { code?: number | string }).code;
  }
}
