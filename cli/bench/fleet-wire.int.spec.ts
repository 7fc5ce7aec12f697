import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { fleetDeviceId, fleetStateTopic } from './fleet-link.js';
import { watchWire } from './fleet-wire.js';

describe('bench fleet: the counting subscriber', () => {
  let broker: EmbeddedBroker;
  let device: MqttClient;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'spec-fleet-device', reconnectPeriod: 0 });
  });

  afterAll(async () => {
    await device.endAsync(true);
    await broker.close();
  });

  /** A fleet device's state as the bench's devices write it: the send time is `playback.position`. */
  const publishState = (pass: number, index: number, sentAt: number): Promise<unknown> =>
    device.publishAsync(fleetStateTopic(pass, index), JSON.stringify({ device_id: fleetDeviceId(pass, index), state: { playback: { position: sentAt } } }), { qos: 1, retain: true });

  it("counts each watched device's update once, republished or not, and nothing of other devices, passes or earlier times", async () => {
    const wire = await watchWire(`mqtt://127.0.0.1:${broker.port}`, 100, { pass: 1, devices: [0, 1] });
    // Its topics get six of the states below; once it has acknowledged six, it has taken in all of
    // them (mqtt.js hands a QoS 1 message over before it acknowledges it).
    let acknowledged = 0;
    const allTaken = new Promise<void>((resolve) =>
      broker.aedes.on('ack', (_packet, client) => {
        if (client?.id.startsWith('fleet-wire-') && ++acknowledged === 6) resolve();
      }),
    );
    await publishState(1, 0, 150);
    await publishState(1, 0, 150); // the same state again (a resync, or aedes' retained stream)
    await publishState(1, 0, 160);
    await publishState(1, 1, 150); // another device's state made at the same time
    await publishState(1, 0, 50); // before the window
    await publishState(1, 2, 170); // a device no subscriber watches
    await publishState(0, 0, 180); // the same index in another pass
    await publishState(1, 1, 160);
    await allTaken;
    expect(wire.published()).toBe(4);
    await wire.stop();
  });
});
