import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import { isAmoraError } from '../../core/errors.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';

// A controller that stops ends every call still waiting for an answer with TransportError
// `closed` (as the AWS IoT and IoT Hub controllers do), two calls with one command_id included,
// rather than leaving them to their deadlines.
let broker: EmbeddedBroker;
let controller: MqttControllerTransport;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: `mqtt://127.0.0.1:${broker.port}`, retry: TEST_RETRY });
  await controller.start(new AbortController().signal);
});

afterAll(async () => {
  await controller?.stop();
  await broker?.close();
});

it('rejects the calls waiting for an answer with TransportError closed when stopped', async () => {
  type Aedes = { on(event: 'publish', listener: (packet: { topic: string }) => void): void };
  const sent = new Promise<void>((resolve) => {
    let seen = 0;
    (broker.aedes as unknown as Aedes).on('publish', (packet) => {
      if (packet.topic.endsWith('/devices/stop-nobody/commands') && ++seen === 2) resolve();
    });
  });
  // Deadlines far beyond the test's timeout: only stop() can end these calls in time.
  const options = { timeoutMs: 600_000, commandId: 'stop-same-id' };
  const calls = [controller.invoke('stop-nobody', 'ping', {}, options), controller.invoke('stop-nobody', 'ping', {}, options)].map((call) =>
    call.catch((error: unknown) => error),
  );
  await sent;
  await controller.stop();
  for (const error of await Promise.all(calls)) {
    expect(isAmoraError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'TransportError', code: 'closed' });
  }
});
