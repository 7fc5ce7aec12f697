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

const signal = (): AbortSignal => new AbortController().signal;

// The fast command path for a broker with Nagle's algorithm on (Mosquitto's stock
// `set_tcp_nodelay false`): commands over the controller's own connection, responses at QoS 0.
// Its speed is measured by the bench; here, that it loses nothing: a command sent while the
// device is offline still waits in the device's persistent session (QoS 1).
describeWithBinaries(['mosquitto'], 'the Nagle-safe command path on a stock Mosquitto', () => {
  let broker: MosquittoHandle;
  const cleanup: (() => Promise<unknown>)[] = [];
  let sequence = 0;
  const runs: number[] = [];

  const profile = {
    name: 'nagle',
    commands: [
      defineCommand({
        name: 'echo',
        description: 'answers its value',
        params: z.strictObject({ value: z.number() }),
        handler: ({ value }) => {
          runs.push(value);
          return { value };
        },
      }),
    ],
  };
  const deviceOptions = { qos: { responses: 0 } } as const;
  const controllerOptions = { commandConnection: 'separate' } as const;

  async function startDevice(deviceId: string, options: Omit<MqttOptionsInput, 'url'>): Promise<Agent> {
    const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY, ...deviceOptions, ...options }, deviceId);
    const agent = createAgent({ deviceId, profile, transports: [transport], system: false });
    cleanup.push(() => agent.stop());
    await agent.start();
    return agent;
  }

  async function controller(options: Omit<MqttOptionsInput, 'url'>): Promise<MqttControllerTransport> {
    const built = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url, retry: TEST_RETRY, ...controllerOptions, ...options });
    cleanup.push(() => built.stop());
    await built.start(signal());
    return built;
  }

  beforeAll(async () => {
    broker = await startMosquitto({ nodelay: false, persistence: true });
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).toReversed()) await step();
    runs.length = 0;
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion}: answers commands one after another`, async () => {
      const id = `nagle-online-v${protocolVersion}-${++sequence}`;
      await startDevice(id, { protocolVersion });
      const ctl = await controller({ protocolVersion });
      for (let value = 0; value < 20; value++) {
        const response = await ctl.invoke(id, 'echo', { value }, { timeoutMs: 10_000 });
        expect(response).toMatchObject({ success: true, result: { value } });
      }
      expect(runs).toEqual([...Array(20).keys()]);
    });

    it(`MQTT ${protocolVersion}: a command sent while the device is offline runs once when it returns`, async () => {
      const id = `nagle-offline-v${protocolVersion}-${++sequence}`;
      // Once online, so the broker holds its persistent session; then gone.
      await (await startDevice(id, { protocolVersion })).stop();
      const ctl = await controller({ protocolVersion });
      const watcher = await rawClient(broker.url);
      cleanup.push(() => watcher.endAsync(true));
      await watcher.subscribeAsync(`amora/devices/${id}/commands`, { qos: 1 });
      const passed = new Promise<void>((resolve) => watcher.once('message', () => resolve()));
      const awaited = ctl.invoke(id, 'echo', { value: 42 }, { timeoutMs: 30_000 });
      // The command has passed the broker (and waits in the offline session) before the device comes back.
      await passed;
      await startDevice(id, { protocolVersion });
      await expect(awaited).resolves.toMatchObject({ success: true, result: { value: 42 } });
      expect(runs).toEqual([42]);
    });
  }
});
