import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';

// On MQTT 3.1.1 a controller hears a device's answers on that device's responses topic, which it
// subscribes on its first command there and keeps. When the broker refuses that subscription,
// the command fails, and the next command to the device must try the subscription again rather
// than fail at once for as long as the controller lives.
let broker: EmbeddedBroker;
let agent: Agent;
let controller: MqttControllerTransport;
let refuseResponses = true;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  type Authorize = (client: unknown, subscription: { topic: string }, done: (error: Error | null, subscription: unknown) => void) => void;
  const aedes = broker.aedes as unknown as { authorizeSubscribe: Authorize };
  const allow = aedes.authorizeSubscribe;
  aedes.authorizeSubscribe = (client, subscription, done) => {
    if (refuseResponses && subscription.topic.endsWith('/responses')) done(null, null);
    else allow(client, subscription, done);
  };
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url, retry: TEST_RETRY, protocolVersion: 4 }, 'refused-1');
  const profile = { name: 'echo', commands: [defineCommand({ name: 'echo', description: 'answers', params: z.object({}), handler: () => ({ ok: true }) })] };
  agent = createAgent({ deviceId: 'refused-1', profile, transports: [transport], system: false });
  await agent.start();
  controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url, retry: TEST_RETRY, protocolVersion: 4 });
  await controller.start(new AbortController().signal);
});

afterAll(async () => {
  await controller?.stop();
  await agent?.stop();
  await broker?.close();
});

it('MQTT 3.1.1: a command fails while the broker refuses the responses topic, and works once it allows it', async () => {
  await expect(controller.invoke('refused-1', 'echo', {}, { timeoutMs: 5_000 })).rejects.toThrow(/subscri/i);
  refuseResponses = false;
  await expect(controller.invoke('refused-1', 'echo', {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ success: true, result: { ok: true } });
});
