import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../core/agent/agent.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { conformanceProfile, describeTransportConformance, waitFor } from '../conformance/index.js';
import { buildMqttInstance, mqttHarness } from '../support/mqtt-harness.js';

// The embedded aedes broker speaks MQTT 3.1.1 only: the transports fall back from 5 on their own,
// so this also covers the 3.1.1 paths (per-device responses topic, no correlation data).
let broker: EmbeddedBroker;

describeTransportConformance(
  'mqtt on the embedded aedes broker',
  mqttHarness({
    url: () => `mqtt://127.0.0.1:${broker.port}`,
    setup: async () => {
      broker = await startEmbeddedBroker({ port: 0 });
    },
    teardown: () => broker.close(),
    restartBroker: async () => {
      const port = broker.port;
      await broker.close();
      broker = await startEmbeddedBroker({ port });
    },
  }),
);

describe('embedded broker over WebSocket', () => {
  let wsBroker: EmbeddedBroker;

  beforeAll(async () => {
    wsBroker = await startEmbeddedBroker({ port: 0, wsPort: 0 });
  });

  afterAll(async () => {
    await wsBroker.close();
  });

  it('carries state and commands between ws:// clients, as a browser app would connect', async () => {
    const url = `ws://127.0.0.1:${wsBroker.wsPort}/mqtt`;
    const device = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url }, 'ws-1');
    const controller = buildMqttInstance<ControllerTransport>(TOKENS.ControllerTransport, { url });
    const agent = createAgent({ deviceId: 'ws-1', profile: conformanceProfile(), transports: [device], system: false });
    try {
      await agent.start();
      await controller.start(new AbortController().signal);
      agent.state.patch({ value: 'over ws' });
      expect((await waitFor(controller.state$('ws-1'), 'state over ws', (m) => m.state['value'] === 'over ws', 10_000)).device_id).toBe('ws-1');
      expect(await controller.invoke('ws-1', 'echo', { value: 1 }, { timeoutMs: 10_000 })).toMatchObject({ success: true, result: { value: 1 } });
    } finally {
      await controller.stop();
      await agent.stop();
    }
  });
});
