import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import { ManualClock } from '../support/manual-clock.js';
import { rawClient } from '../support/mqtt-harness.js';

const DEVICE = 'rate-limited-1';
const PREFIX = `amora/devices/${DEVICE}`;

/** Everything published under the device's topics, in arrival order, with a way to wait for one. */
class Probe {
  readonly seen: { topic: string; body: Record<string, unknown> }[] = [];
  private waiters: { match(entry: { topic: string; body: Record<string, unknown> }): boolean; resolve(): void }[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload) => {
      const entry = { topic, body: JSON.parse(payload.toString('utf8')) as Record<string, unknown> };
      this.seen.push(entry);
      const ready = this.waiters.filter((waiter) => waiter.match(entry));
      this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
      for (const waiter of ready) waiter.resolve();
    });
  }

  /** Resolves once a message satisfying `match` arrived (already or later). */
  until(match: (entry: { topic: string; body: Record<string, unknown> }) => boolean): Promise<void> {
    if (this.seen.some(match)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The `n` of each telemetry record received so far. */
  telemetry(): unknown[] {
    return this.seen
      .filter((entry) => entry.topic === `${PREFIX}/telemetry/metrics`)
      .flatMap((entry) => (entry.body['records'] as { data: { n: number } }[]).map((record) => record.data.n));
  }

  /** Waits for the reported state to carry `marker`: anything the agent published before it has arrived too. */
  marker(marker: string): Promise<void> {
    return this.until((entry) => entry.topic === `${PREFIX}/state` && (entry.body['state'] as Record<string, unknown>)['marker'] === marker);
  }
}

// `rateLimit` on a transport entry, through buildAgent with the real mqtt kind on the embedded
// broker. Time is a ManualClock: the limiter releases a waiting batch only when the test moves it,
// so "not sent yet" is checked by ordering (a state publish, which is not rate limited, overtakes
// the waiting telemetry), never by waiting for time to pass.
describe('telemetry rate limit per transport (mqtt on the embedded broker)', () => {
  let broker: EmbeddedBroker;
  let client: MqttClient;
  let probe: Probe;
  let agent: Agent;
  const clock = new ManualClock();

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    client = await rawClient(`mqtt://127.0.0.1:${broker.port}`);
    probe = new Probe(client);
    await client.subscribeAsync(`${PREFIX}/#`, { qos: 1 });
    const config = parseConfig({
      device: { id: DEVICE },
      // MQTT 3.1.1 straight away: the 5 → 3.1.1 fallback retries on the (manual) clock.
      transports: [{ kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: 4, rateLimit: { perSecond: 10, burst: 1 } }],
      telemetry: { batchSize: 1 },
      system: { enabled: false },
    });
    agent = await buildAgent(config, createBuiltinRegistry(), { clock });
    await agent.start();
    await probe.until((entry) => entry.topic === `${PREFIX}/connection` && entry.body['status'] === 'online');
  });

  afterAll(async () => {
    await agent?.stop();
    await client?.endAsync();
    await broker?.close();
  });

  it('sends a burst, delays the rest at the rate and drops nothing', async () => {
    for (const n of [1, 2, 3, 4]) agent.emitTelemetry('metrics', { n });
    agent.state.patch({ marker: 'after-emit' });
    await probe.marker('after-emit');
    expect(probe.telemetry()).toEqual([1]);

    clock.advance(100);
    agent.state.patch({ marker: 'after-100ms' });
    await probe.marker('after-100ms');
    expect(probe.telemetry()).toEqual([1, 2]);

    clock.advance(200);
    await probe.until(() => probe.telemetry().length === 4);
    expect(probe.telemetry()).toEqual([1, 2, 3, 4]);
  });
});
