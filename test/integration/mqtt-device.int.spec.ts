import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IPublishPacket, MqttClient } from 'mqtt';
import { Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { parseMqttOptions, type MqttOptionsInput } from '../../adapters/mqtt/options.js';
import { Recorder } from '../conformance/recorder.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, rawClient, TEST_RETRY } from '../support/mqtt-harness.js';
import { RecordingRetryPolicy } from '../support/recording-retry-policy.js';
import { describeWithBinaries, freePort, itWithBinaries } from '../support/system-deps.js';

const WAIT_MS = 10_000;
const signal = (): AbortSignal => new AbortController().signal;
const statusIs = (state: ConnectionStatus['state']) => (status: ConnectionStatus) => status.state === state;
const decode = (payload: Uint8Array | Buffer): unknown => JSON.parse(new TextDecoder().decode(payload));

/** The seed's `play` command, so the seed's own wire example can be sent verbatim. */
const seedProfile = {
  name: 'seed',
  commands: [
    defineCommand({ name: 'play', description: 'starts playback', params: z.strictObject({}), handler: () => ({ status: 'playing' }) }),
    defineCommand({ name: 'echo', description: 'answers its value', params: z.strictObject({ value: z.number() }), handler: ({ value }) => ({ value }) }),
  ],
};

describeWithBinaries(['mosquitto'], 'MQTT transports on Mosquitto', () => {
  let broker: MosquittoHandle;
  let raw: MqttClient;
  const cleanup: (() => Promise<unknown>)[] = [];
  let sequence = 0;
  const newId = (): string => `dev-${process.pid}-${++sequence}`;

  function device(deviceId: string, options: Omit<MqttOptionsInput, 'url'> = {}): DeviceTransport {
    const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY, ...options }, deviceId);
    cleanup.push(() => transport.stop());
    return transport;
  }

  async function agent(deviceId: string, options: Omit<MqttOptionsInput, 'url'> = {}): Promise<Agent> {
    const running = createAgent({ deviceId, profile: seedProfile, transports: [device(deviceId, options)], system: false });
    cleanup.push(() => running.stop());
    await running.start();
    return running;
  }

  beforeAll(async () => {
    // Persistence on: the outbox test needs the broker to keep a subscriber's session across a restart.
    broker = await startMosquitto({ persistence: true });
    raw = await rawClient(broker.url, { protocolVersion: 5, reconnectPeriod: 50 });
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).toReversed()) await step();
  });

  afterAll(async () => {
    await raw?.endAsync(true);
    await broker?.dispose();
  });

  it('answers an MQTT 5 request on its response topic with its correlation data', async () => {
    const id = newId();
    await agent(id);
    const reply = `test/replies/${id}`;
    await raw.subscribeAsync(reply, { qos: 1 });
    const received = nextMessage(raw, reply);
    await raw.publishAsync(`amora/devices/${id}/commands`, JSON.stringify({ command: 'echo', command_id: 'c-5', params: { value: 5 } }), {
      qos: 1,
      properties: { responseTopic: reply, correlationData: Buffer.from('corr-5') },
    });
    const { payload, packet } = await received;
    expect(packet.properties?.correlationData?.toString()).toBe('corr-5');
    expect(decode(payload)).toMatchObject({ command_id: 'c-5', success: true, result: { value: 5 } });
  });

  itWithBinaries(['mosquitto_pub'], 'answers the seed command format sent with mosquitto_pub', async ({ mosquitto_pub }) => {
    const id = newId();
    await agent(id);
    await raw.subscribeAsync(`amora/devices/${id}/responses`, { qos: 1 });
    const received = nextMessage(raw, `amora/devices/${id}/responses`);
    const seed = '{"command":"play","command_id":"test-1","params":{},"timestamp":1620000000}';
    const pub = spawn(mosquitto_pub, ['-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', `amora/devices/${id}/commands`, '-m', seed]);
    expect((await once(pub, 'exit'))[0]).toBe(0);
    const { payload } = await received;
    expect(decode(payload)).toMatchObject({ command_id: 'test-1', command: 'play', success: true, result: { status: 'playing' } });
  });

  it('receives QoS 1 commands sent while it was stopped (persistent session)', async () => {
    const id = newId();
    const first = device(id);
    await first.start(signal());
    await first.stop();
    await raw.publishAsync(`amora/devices/${id}/commands`, JSON.stringify({ command: 'echo', command_id: 'queued-1', params: { value: 1 } }), { qos: 1 });
    const second = device(id);
    const commands = new Recorder(second.commands$, WAIT_MS);
    await second.start(signal());
    const command = await commands.wait('the queued command', () => true);
    commands.stop();
    expect(decode(command.payload as Uint8Array)).toMatchObject({ command_id: 'queued-1' });
  });

  it('delivers desired-state patches and ignores malformed ones', async () => {
    const id = newId();
    const transport = device(id);
    const updates = new Recorder(transport.desired$, WAIT_MS);
    await transport.start(signal());
    const controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url });
    cleanup.push(() => controller.stop());
    await controller.start(signal());
    await raw.publishAsync(`amora/devices/${id}/desired`, 'not json', { qos: 1 });
    await raw.publishAsync(`amora/devices/${id}/desired`, '{"__proto__":{"x":1}}', { qos: 1 });
    await controller.setDesired(id, { audio: { volume: 40 } });
    expect(await updates.wait('the valid patch', () => true)).toEqual({ patch: { audio: { volume: 40 } } });
    updates.stop();
    expect(updates.values).toHaveLength(1);
  });

  it('refuses an oversized state or telemetry batch with payload_too_large', async () => {
    const transport = device(newId(), { maxPayloadBytes: 1024 });
    await transport.start(signal());
    const big = { blob: 'x'.repeat(2048) };
    await expect(transport.publishState({ state: big, version: 1, timestamp: 1, metadata: {} }, big)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(transport.publishTelemetry({ kind: 'metrics', records: [{ kind: 'metrics', data: big, timestamp: 1 }] })).rejects.toMatchObject({
      code: 'payload_too_large',
    });
  });

  it('starts against an unreachable broker, reports why, and connects once the broker appears', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    const policy = new RecordingRetryPolicy(20);
    const transport = new MqttDeviceTransport(parseMqttOptions({ url }), 'mqtt', newId(), undefined, policy, undefined, undefined);
    cleanup.push(() => transport.stop());
    const statuses = new Recorder(transport.status$, WAIT_MS);
    await transport.start(signal());
    const offline = await statuses.wait('offline with the reason', (s) => s.state === 'offline' && s.error !== undefined);
    expect(offline.error).toEqual({
      code: 'unavailable',
      message: `cannot connect to MQTT broker ${url}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    const late = await startMosquitto({ port });
    cleanup.push(() => late.dispose());
    await statuses.wait('online once the broker is up', statusIs('online'));
    statuses.stop();
    expect(policy.attempts[0]).toBe(1);
  });

  it('reconnects after a broker restart through its RetryPolicy, not mqtt.js timers', async () => {
    const policy = new RecordingRetryPolicy(20);
    const id = newId();
    const transport = new MqttDeviceTransport(parseMqttOptions({ url: broker.url }), 'mqtt', id, undefined, policy, undefined, undefined);
    cleanup.push(() => transport.stop());
    await transport.start(signal());
    const statuses = new Recorder(transport.status$, WAIT_MS);
    await broker.restart();
    const lost = await statuses.next('offline', statusIs('offline'));
    expect(lost.value.error?.message).toMatch(/^connection to MQTT broker mqtt:\/\/127\.0\.0\.1:\d+ lost/);
    await statuses.next('online again', statusIs('online'), lost.index + 1);
    statuses.stop();
    expect(policy.attempts.length).toBeGreaterThan(0);
    expect(policy.attempts[0]).toBe(1);
  });

  it('counts outbox overflow in status while offline and flushes what it kept after reconnecting', async () => {
    const id = newId();
    const transport = device(id, { outboxSize: 2 });
    await transport.start(signal());
    // A persistent subscriber, so the broker keeps its subscription and messages across the restart.
    const listener = await rawClient(broker.url, { clientId: `listener-${id}`, clean: false, reconnectPeriod: 50 });
    cleanup.push(() => listener.endAsync(true));
    await listener.subscribeAsync(`amora/devices/${id}/telemetry/+`, { qos: 1 });
    const received = new Recorder(messages(listener), WAIT_MS);

    const statuses = new Recorder(transport.status$, WAIT_MS);
    await broker.stop();
    await statuses.wait('offline', statusIs('offline'));
    for (let n = 1; n <= 5; n++) await transport.publishTelemetry({ kind: 'metrics', records: [{ kind: 'metrics', data: { n }, timestamp: n }] });
    expect((await statuses.wait('3 drops', (s) => s.outbox?.dropped === 3)).outbox).toEqual({ queued: 2, dropped: 3 });

    await broker.restart();
    await statuses.wait('an empty outbox once online', (s) => s.state === 'online' && s.outbox?.queued === 0);
    statuses.stop();
    const kept = await received.wait('batch 5', (message) => (message as { records: { data: { n: number } }[] }).records[0]?.data.n === 5);
    received.stop();
    expect(received.values.map((m) => (m as { records: { data: { n: number } }[] }).records[0]?.data.n)).toEqual([4, 5]);
    expect(kept).toBeDefined();
  });
});

/** The next message a raw client receives on `topic`. */
function nextMessage(client: MqttClient, topic: string): Promise<{ payload: Buffer; packet: IPublishPacket }> {
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer, packet: IPublishPacket): void => {
      if (received !== topic) return;
      client.removeListener('message', onMessage);
      resolve({ payload, packet });
    };
    client.on('message', onMessage);
  });
}

/** The JSON payloads a raw client receives, from now on. */
function messages(client: MqttClient): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const onMessage = (_topic: string, payload: Buffer): void => subscriber.next(decode(payload));
    client.on('message', onMessage);
    return () => client.removeListener('message', onMessage);
  });
}
