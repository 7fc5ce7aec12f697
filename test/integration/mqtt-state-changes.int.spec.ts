import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAgent } from '../../core/agent/agent.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { JsonObject } from '../../core/state/json.js';
import { applyMergePatch } from '../../core/state/merge-patch.js';
import { STATE_CHANGE_KIND } from '../../core/state/state-changes.js';
import { stateChangeRecordSchema, type TelemetryMessage } from '../../core/transport/wire-messages.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import type { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import type { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { Recorder, waitFor } from '../conformance/recorder.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';

const WAIT_MS = 10_000;

// `state.changes: every` on a real broker: the retained snapshot keeps only where the device ended
// up, and a controller following `state_change` telemetry sees every step, across an outage.
describeWithBinaries(['mosquitto'], 'every state change over MQTT', () => {
  let broker: MosquittoHandle;

  beforeAll(async () => {
    broker = await startMosquitto({ persistence: false });
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  it('delivers every change, in order, to a controller following state_change, while snapshots stay latest-wins', async () => {
    const deviceId = `changes-${process.pid}`;
    const transport = buildMqttInstance<MqttDeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY }, deviceId);
    const agent = createAgent({
      deviceId,
      profile: { name: 'counter', commands: [] },
      transports: [transport],
      system: false,
      state: { changes: 'every' },
      telemetry: { batchIntervalMs: 10 },
    });
    const controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url, retry: TEST_RETRY });
    await controller.start(new AbortController().signal);
    const changes = new Recorder<TelemetryMessage>(controller.telemetry$(deviceId, STATE_CHANGE_KIND), WAIT_MS);
    const states = new Recorder<DeviceStateMessage>(controller.state$(deviceId), WAIT_MS);
    try {
      await agent.start();
      const initial = await states.wait('the first snapshot', () => true);
      for (let n = 1; n <= 40; n++) agent.state.patch({ counter: n, [`step${n % 3}`]: n });
      // An outage: changes made meanwhile wait in the outbox; the snapshot only keeps the last.
      transport.interruptConnection();
      await waitFor(transport.status$, 'the link down', (status) => status.state !== 'online', WAIT_MS);
      for (let n = 41; n <= 50; n++) agent.state.patch({ counter: n, [`step${n % 3}`]: n });
      const last = agent.state.version;
      await states.wait('the last snapshot', (message) => message.version === last);

      const records = () => changes.values.flatMap((message) => message.records.map((record) => stateChangeRecordSchema.parse(record.data)));
      await changes.wait('the last change', () => records().some((record) => record.version === last));
      const received = records();
      expect(received.map((record) => record.version)).toEqual(Array.from({ length: last - initial.version }, (_, i) => initial.version + 1 + i));
      // Replaying every patch over the first snapshot gives the last one.
      const replayed = received.reduce<JsonObject>((state, record) => applyMergePatch(state, record.patch), initial.state);
      expect(replayed).toEqual(states.values.at(-1)?.state);
      // Latest wins on the retained topic: fewer snapshots than changes reached the controller.
      expect(states.values.length).toBeLessThan(received.length);
    } finally {
      changes.stop();
      states.stop();
      await controller.stop();
      await agent.stop();
    }
  });

  // Two states may await their PUBACK at once on MQTT: a change made while one is unacknowledged
  // leaves at once, and what comes after those two merges into one (latest wins).
  it('sends a change made just after another at once, and merges the rest of a burst', async () => {
    const deviceId = `burst-${process.pid}`;
    const transport = buildMqttInstance<MqttDeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY }, deviceId);
    const agent = createAgent({ deviceId, profile: { name: 'counter', commands: [] }, transports: [transport], system: false });
    const controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url, retry: TEST_RETRY });
    await controller.start(new AbortController().signal);
    const states = new Recorder<DeviceStateMessage>(controller.state$(deviceId), WAIT_MS);
    try {
      // The first snapshot's publish acknowledged: nothing in flight when the burst begins.
      const firstSettled = firstValueFrom(agent.activity$.pipe(filter((activity) => activity.type === 'state')));
      await agent.start();
      const initial = await states.wait('the first snapshot', () => true);
      await firstSettled;
      for (let n = 1; n <= 10; n++) agent.state.patch({ counter: n });
      const last = agent.state.version;
      await states.wait('the last snapshot', (message) => message.version === last);
      expect(states.values.map((message) => message.version)).toEqual([initial.version, initial.version + 1, initial.version + 2, last]);
      expect(states.values.at(-1)?.state).toEqual({ counter: 10 });
    } finally {
      states.stop();
      await controller.stop();
      await agent.stop();
    }
  });
});
