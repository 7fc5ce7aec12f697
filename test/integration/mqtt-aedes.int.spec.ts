import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { describeTransportConformance } from '../conformance/index.js';
import { mqttHarness } from '../support/mqtt-harness.js';

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
