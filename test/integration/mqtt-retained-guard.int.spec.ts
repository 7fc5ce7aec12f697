import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { Observable } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { parseMqttOptions } from '../../adapters/mqtt/options.js';
import { MqttTopics } from '../../adapters/mqtt/topics.js';
import type { StateSnapshot } from '../../core/index.js';
import { Recorder } from '../conformance/recorder.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { rawClient, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';

/**
 * Defect: another client's retained message over a device's own `state` or `connection` topic
 * (or an empty one deleting it) stayed until the device's next change, so every late subscriber
 * read a stranger's state. The device now watches its own retained topics and restores them.
 */

const WAIT_MS = 10_000;
const run = promisify(execFile);
const topics = new MqttTopics('amora');
const text = (payload: Uint8Array): string => new TextDecoder().decode(payload);

/** The retained message a client subscribing now receives first on `topic`. */
async function retainedOn(url: string, topic: string): Promise<string> {
  const client = await rawClient(url);
  try {
    const first = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(text(payload))));
    await client.subscribeAsync(topic, { qos: 1 });
    return await first;
  } finally {
    await client.endAsync();
  }
}

describeWithBinaries(['mosquitto', 'mosquitto_pub'], 'a device keeps its own retained topics (Mosquitto)', ({ mosquitto_pub }) => {
  let broker: MosquittoHandle;
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => undefined);
    await broker?.dispose();
  });

  /** A started device with its state published, and a watcher recording what arrives on `topic`. */
  async function deviceWithWatcher(deviceId: string, protocolVersion: 4 | 5, topic: string): Promise<{ watched: Recorder<string>; watcher: MqttClient }> {
    const device = new MqttDeviceTransport(parseMqttOptions({ url: broker.url, protocolVersion, retry: TEST_RETRY }), 'mqtt', deviceId, undefined, undefined, undefined, undefined);
    stops.push(() => device.stop());
    await device.start(new AbortController().signal);
    const snapshot: StateSnapshot = { state: { power: 'on', volume: 30 }, version: 7, timestamp: 1_700_000_000_000, metadata: {} };
    await device.publishState(snapshot, snapshot.state);
    const watcher = await rawClient(broker.url);
    stops.push(() => watcher.endAsync());
    const messages = new Recorder<string>(
      new Observable<string>((subscriber) => {
        const listener = (arrived: string, payload: Buffer): void => {
          if (arrived === topic) subscriber.next(text(payload));
        };
        watcher.on('message', listener);
        return () => watcher.removeListener('message', listener);
      }),
      WAIT_MS,
    );
    stops.push(async () => messages.stop());
    await watcher.subscribeAsync(topic, { qos: 1 });
    return { watched: messages, watcher };
  }

  it.each([5, 4] as const)('overwrites a stranger retained state with its own (MQTT %i)', async (protocolVersion) => {
    const deviceId = `guard-state-${protocolVersion}`;
    const topic = topics.state(deviceId);
    const { watched } = await deviceWithWatcher(deviceId, protocolVersion, topic);
    const ours = await watched.next('our state', (message) => message.includes('"version":7'));
    const hostile = JSON.stringify({ device_id: deviceId, state: { power: 'off', hacked: true }, version: 999, timestamp: 1 });
    await run(mosquitto_pub, ['-p', String(broker.port), '-h', '127.0.0.1', '-r', '-q', '1', '-t', topic, '-m', hostile]);
    const seen = await watched.next('the stranger message', (message) => message === hostile, ours.index + 1);
    await watched.next('ours again', (message) => message === ours.value, seen.index + 1);
    expect(JSON.parse(await retainedOn(broker.url, topic))).toMatchObject({ state: { power: 'on', volume: 30 }, version: 7 });
  });

  it('restores its retained state after an empty retained message deleted it', async () => {
    const deviceId = 'guard-deleted';
    const topic = topics.state(deviceId);
    const { watched } = await deviceWithWatcher(deviceId, 5, topic);
    const ours = await watched.next('our state', (message) => message.includes('"version":7'));
    await run(mosquitto_pub, ['-p', String(broker.port), '-h', '127.0.0.1', '-r', '-n', '-t', topic]);
    const deleted = await watched.next('the delete', (message) => message === '', ours.index + 1);
    await watched.next('ours again', (message) => message === ours.value, deleted.index + 1);
    expect(JSON.parse(await retainedOn(broker.url, topic))).toMatchObject({ device_id: deviceId, version: 7 });
  });

  it('restores its presence when a stranger retains `offline` over it', async () => {
    const deviceId = 'guard-presence';
    const topic = topics.connection(deviceId);
    const { watched } = await deviceWithWatcher(deviceId, 4, topic);
    const online = await watched.next('our online presence', (message) => message.includes('"online"'));
    const hostile = JSON.stringify({ device_id: deviceId, status: 'offline', reason: 'graceful', timestamp: 1 });
    await run(mosquitto_pub, ['-p', String(broker.port), '-h', '127.0.0.1', '-r', '-t', topic, '-m', hostile]);
    const seen = await watched.next('the stranger presence', (message) => message === hostile, online.index + 1);
    await watched.next('online again', (message) => message.includes('"online"'), seen.index + 1);
    expect(JSON.parse(await retainedOn(broker.url, topic))).toMatchObject({ device_id: deviceId, status: 'online' });
  });
});
