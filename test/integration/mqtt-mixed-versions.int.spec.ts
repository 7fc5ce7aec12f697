import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import type { MqttOptionsInput } from '../../adapters/mqtt/options.js';
import { createAgent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, rawClient, TEST_RETRY } from '../support/mqtt-harness.js';
import { mqttPacketsOf } from '../support/mqtt-wire.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { TcpProxy } from '../support/tcp-proxy.js';

// A controller on MQTT 5 (the default) names its own response topic in each command. A device on
// MQTT 3.1.1 never sees that property (the broker drops it for a 3.1.1 subscriber) and answers on
// `{p}/devices/{id}/responses`, as the AmoraOS devices of the seeds do whatever the command says.
// The controller must hear those answers too, or every command to such a device times out.
describeWithBinaries(['mosquitto'], 'a controller on MQTT 5 and devices on other terms', () => {
  let broker: MosquittoHandle;
  /** In front of the broker for a controller whose SUBSCRIBEs a test reads. */
  let proxy: TcpProxy;
  const sentToBroker: Buffer[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  let sequence = 0;

  async function controller(options: Omit<MqttOptionsInput, 'url'> = {}, url = broker.url): Promise<MqttControllerTransport> {
    const built = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url, retry: TEST_RETRY, ...options });
    cleanup.push(() => built.stop());
    await built.start(new AbortController().signal);
    return built;
  }

  /** A device written against the seeds: it answers on its responses topic and reads nothing else. */
  async function seedDevice(deviceId: string, protocolVersion: 4 | 5): Promise<{ client: MqttClient; commands: string[] }> {
    const client = await rawClient(broker.url, { protocolVersion, clientId: `seed-${deviceId}` });
    cleanup.push(() => client.endAsync(true));
    const commands: string[] = [];
    client.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as { command: string; command_id: string; params?: unknown };
      commands.push(command.command);
      const response = { command_id: command.command_id, command: command.command, success: true, result: { heard: command.params ?? {} }, timestamp: Date.now() };
      client.publish(`amora/devices/${deviceId}/responses`, JSON.stringify(response), { qos: 1 });
    });
    await client.subscribeAsync(`amora/devices/${deviceId}/commands`, { qos: 1 });
    return { client, commands };
  }

  beforeAll(async () => {
    broker = await startMosquitto();
    proxy = await TcpProxy.start(broker.port);
    proxy.onClientData = (chunk) => sentToBroker.push(chunk);
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).toReversed()) await step();
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.dispose();
  });

  it('hears a 3.1.1 device that answers on its responses topic, on the first command and the next', async () => {
    const id = `mixed-seed-${++sequence}`;
    const device = await seedDevice(id, 4);
    const ctl = await controller();
    expect(await ctl.invoke(id, 'play', { track: 1 }, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { heard: { track: 1 } } });
    expect(await ctl.invoke(id, 'pause', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, command: 'pause' });
    expect(device.commands).toEqual(['play', 'pause']);
  });

  it('hears an MQTT 5 device that ignores the response topic the command names', async () => {
    const id = `mixed-v5-${++sequence}`;
    await seedDevice(id, 5);
    const ctl = await controller();
    expect(await ctl.invoke(id, 'stop', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, command: 'stop' });
  });

  it('commands an Amora agent configured for MQTT 3.1.1', async () => {
    const id = `mixed-agent-${++sequence}`;
    const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY, protocolVersion: 4 }, id);
    const profile = { name: 'echo', commands: [defineCommand({ name: 'echo', description: 'answers its value', params: z.strictObject({ value: z.number() }), handler: ({ value }) => ({ value }) })] };
    const agent = createAgent({ deviceId: id, profile, transports: [transport], system: false });
    cleanup.push(() => agent.stop());
    await agent.start();
    const ctl = await controller({ commandConnection: 'separate' });
    expect(await ctl.invoke(id, 'echo', { value: 3 }, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { value: 3 } });
    expect(await ctl.invoke(id, 'echo', { value: 4 }, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { value: 4 } });
  });

  for (const [mode, protocolVersion] of [['device', 5], ['fleet', 5], ['fleet', 4]] as const) {
    it(`responseSubscription: ${mode} (controller on MQTT ${protocolVersion}) hears 3.1.1 devices through ${mode === 'fleet' ? 'one wildcard SUBSCRIBE' : 'one SUBSCRIBE per device'}`, async () => {
      const ids = [1, 2, 3].map((n) => `mixed-${mode}-${++sequence}-${n}`);
      for (const id of ids) await seedDevice(id, 4);
      sentToBroker.length = 0;
      const ctl = await controller({ responseSubscription: mode, protocolVersion }, `mqtt://127.0.0.1:${proxy.port}`);
      for (const id of [...ids, ...ids]) {
        expect(await ctl.invoke(id, 'ping', { id }, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { heard: { id } } });
      }
      const filters = mqttPacketsOf(sentToBroker, protocolVersion).flatMap((packet) => packet.filters ?? []);
      const expected = mode === 'fleet' ? ['amora/devices/+/responses'] : ids.map((id) => `amora/devices/${id}/responses`);
      expect(filters.filter((filter) => filter.startsWith('amora/devices/'))).toEqual(expected);
    });
  }
});
