import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import type { MqttOptionsInput } from '../../adapters/mqtt/options.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, rawClient, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { rejectionCode } from '../support/wait-for.js';

const signal = (): AbortSignal => new AbortController().signal;

/** Resolves once the wall clock has passed `at` (the broker and the device judge expiry by it). */
async function clockPasses(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, Math.max(10, at - Date.now() + 1)));
}

// A command the caller gave up on must not run when its offline device comes back hours later.
// Mosquitto keeps the device's persistent session (persistence on); the device is stopped while
// the caller's invoke times out, then returns.
describeWithBinaries(['mosquitto'], 'stale commands on Mosquitto', () => {
  let broker: MosquittoHandle;
  let raw: MqttClient;
  const cleanup: (() => Promise<unknown>)[] = [];
  let sequence = 0;
  const runs: string[] = [];

  const profile = {
    name: 'expiry',
    commands: [
      defineCommand({ name: 'play', description: 'counts its runs', params: z.strictObject({}), handler: () => void runs.push('play') }),
      defineCommand({ name: 'echo', description: 'answers its value', params: z.strictObject({ value: z.number() }), handler: ({ value }) => ({ value }) }),
    ],
  };

  async function startDevice(deviceId: string, options: Omit<MqttOptionsInput, 'url'> = {}): Promise<Agent> {
    const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY, ...options }, deviceId);
    const agent = createAgent({ deviceId, profile, transports: [transport], system: false });
    cleanup.push(() => agent.stop());
    await agent.start();
    return agent;
  }

  async function controller(options: Omit<MqttOptionsInput, 'url'> = {}): Promise<MqttControllerTransport> {
    const built = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url, retry: TEST_RETRY, ...options });
    cleanup.push(() => built.stop());
    await built.start(signal());
    return built;
  }

  beforeAll(async () => {
    broker = await startMosquitto({ persistence: true });
    raw = await rawClient(broker.url, { protocolVersion: 5 });
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).toReversed()) await step();
    runs.length = 0;
  });

  afterAll(async () => {
    await raw?.endAsync(true);
    await broker?.dispose();
  });

  it('MQTT 5: the broker drops a command at its caller timeout; one still awaited is delivered', async () => {
    const id = `expiry-v5-${++sequence}`;
    await (await startDevice(id)).stop();
    const ctl = await controller();
    const sent = Date.now();
    expect(await rejectionCode(ctl.invoke(id, 'play', {}, { timeoutMs: 1_000 }))).toBe('timeout');
    // Message expiry counts whole seconds; let the broker's clock pass the deadline before the device returns.
    await clockPasses(sent + 2_100);
    const awaited = ctl.invoke(id, 'echo', { value: 7 }, { timeoutMs: 30_000 });
    await startDevice(id);
    // QoS 1 keeps order: had the stale `play` been delivered, it would have run before this answer.
    expect(await awaited).toMatchObject({ success: true, result: { value: 7 } });
    expect(runs).toEqual([]);
  }, 30_000);

  it('MQTT 3.1.1: the envelope carries expires_at; the device answers expired and does not run it', async () => {
    const id = `expiry-v4-${++sequence}`;
    await (await startDevice(id, { protocolVersion: 4 })).stop();
    const ctl = await controller({ protocolVersion: 4 });
    const responses = `amora/devices/${id}/responses`;
    const answers: { command_id: string; success: boolean; error?: { code: string } }[] = [];
    raw.on('message', (topic, payload) => topic === responses && answers.push(JSON.parse(payload.toString()) as (typeof answers)[number]));
    await raw.subscribeAsync(responses, { qos: 1 });
    const sent = Date.now();
    expect(await rejectionCode(ctl.invoke(id, 'play', {}, { timeoutMs: 500, commandId: 'stale-play' }))).toBe('timeout');
    await clockPasses(sent + 600);
    await startDevice(id, { protocolVersion: 4 });
    const fresh = await ctl.invoke(id, 'echo', { value: 8 }, { timeoutMs: 30_000 });
    expect(fresh).toMatchObject({ success: true, result: { value: 8 } });
    expect(answers.find((answer) => answer.command_id === 'stale-play')).toMatchObject({ success: false, error: { code: 'expired' } });
    expect(runs).toEqual([]);
  }, 30_000);

  it("still runs the seeds' example with its 2021 timestamp", async () => {
    const id = `expiry-seed-${++sequence}`;
    await startDevice(id);
    const responses = `amora/devices/${id}/responses`;
    const answer = new Promise<{ command_id: string; success: boolean }>((resolve) =>
      raw.on('message', (topic, payload) => topic === responses && resolve(JSON.parse(payload.toString()) as { command_id: string; success: boolean })),
    );
    await raw.subscribeAsync(responses, { qos: 1 });
    await raw.publishAsync(`amora/devices/${id}/commands`, '{"command":"play","command_id":"test-1","params":{},"timestamp":1620000000}', { qos: 1 });
    expect(await answer).toMatchObject({ command_id: 'test-1', success: true });
    expect(runs).toEqual(['play']);
  });
});
