import { describeTransportConformance } from '../conformance/index.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { mqttHarness } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';

// A real Mosquitto (MQTT 5) on a random port: response topics with correlation data, persistent
// sessions, and a restart that loses every session and retained message (persistence off).
describeWithBinaries(['mosquitto'], 'mosquitto', () => {
  let broker: MosquittoHandle;
  describeTransportConformance(
    'mqtt on Mosquitto (MQTT 5)',
    mqttHarness({
      url: () => broker.url,
      setup: async () => {
        broker = await startMosquitto({ persistence: false });
      },
      teardown: () => broker.dispose(),
      restartBroker: () => broker.restart(),
    }),
  );
});
