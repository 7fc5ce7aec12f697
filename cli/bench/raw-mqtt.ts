import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { LatencyRecorder, nowMs, type LatencySummary } from './latency-recorder.js';
import type { ScenarioOptions, ScenarioResult } from './scenario.js';
import { deadline, pause, SAMPLE_DEADLINE_MS, type ProbeOptions } from './transport-probe.js';

/**
 * The baseline: the same work done with mqtt.js alone, as a developer would write it by hand:
 * retained QoS 1 JSON state (~300 bytes), QoS 1 command + response. With `noDelay` the sockets
 * set TCP_NODELAY (as Amora's do); without it, mqtt.js's defaults.
 */
export async function runRawMqtt(options: ScenarioOptions, noDelay: boolean): Promise<ScenarioResult> {
  const device = await connectRaw(options.url, 'raw-device', noDelay);
  const app = await connectRaw(options.url, 'raw-app', noDelay);
  const probe = { samples: options.samples, warmup: options.warmup, pacingMs: 0 };
  try {
    const stateLatencySummary = await stateLatency(device, app, probe);
    const commandRoundTripSummary = await commandRoundTrip(device, app, { ...probe, ...options.commands });
    const { perSecond, delivered } = await throughput(device, app, options);
    return {
      stateLatency: stateLatencySummary,
      commandRoundTrip: commandRoundTripSummary,
      throughputPerSecond: perSecond,
      throughputSent: options.throughputMessages,
      throughputDelivered: delivered,
    };
  } finally {
    await Promise.all([device.endAsync(), app.endAsync()]);
  }
}

/** The latency rows alone, paced like the scenarios they stand beside; no-delay sockets. */
export async function runRawMqttLatency(url: string, probe: ProbeOptions): Promise<{ stateLatency: LatencySummary; commandRoundTrip: LatencySummary }> {
  const device = await connectRaw(url, 'raw-device', true);
  const app = await connectRaw(url, 'raw-app', true);
  try {
    return { stateLatency: await stateLatency(device, app, probe), commandRoundTrip: await commandRoundTrip(device, app, probe) };
  } finally {
    await Promise.all([device.endAsync(), app.endAsync()]);
  }
}

/** An mqtt.js client as the raw sides use it: no reconnects, MQTT 3.1.1 (mqtt.js's default) unless told 5. */
export async function connectRaw(url: string, clientId: string, noDelay: boolean, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId: `${clientId}-${process.pid}`, reconnectPeriod: 0, protocolVersion });
  if (noDelay) (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  return client;
}

function statePayload(version: number): string {
  return JSON.stringify({
    device_id: 'bench-raw',
    version,
    timestamp: Date.now(),
    state: {
      audio: { volume: version % 100, backend: 'virtual', device: 'null' },
      playback: { status: 'playing', current_track: 'So What', position: version, duration: 545, playlist: 'Morning Jazz' },
      playlists: ['Morning Jazz', 'Focus', 'Road Trip'],
      system: { version: '0.1.0', uptime: 360 },
    },
  });
}

async function stateLatency(device: MqttClient, app: MqttClient, options: ProbeOptions) {
  const topic = 'bench/raw/state';
  await app.subscribeAsync(topic, { qos: 1 });
  const recorder = new LatencyRecorder();
  let resolveNext: ((time: number) => void) | undefined;
  app.on('message', (t) => {
    if (t === topic) resolveNext?.(nowMs());
  });
  for (let i = 0; i < options.warmup + options.samples; i++) {
    const received = new Promise<number>((resolve) => (resolveNext = resolve));
    const start = nowMs();
    device.publish(topic, statePayload(i), { qos: 1, retain: true });
    const at = await deadline(received, `raw state update ${i}`);
    if (i >= options.warmup) recorder.record(at - start);
    await pause(options.pacingMs);
  }
  app.removeAllListeners('message');
  await app.unsubscribeAsync(topic);
  device.publish(topic, '', { qos: 1, retain: true });
  return recorder.summary();
}

async function commandRoundTrip(device: MqttClient, app: MqttClient, options: ProbeOptions) {
  const commands = await openRawCommands(device, app, 4);
  const recorder = new LatencyRecorder();
  try {
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const elapsed = await commands.roundTrip(i);
      if (i >= options.warmup) recorder.record(elapsed);
      await pause(options.pacingMs);
    }
  } finally {
    await commands.close();
  }
  return recorder.summary();
}

/** A hand-written command path on two mqtt.js clients: the app sends, the device answers each command. */
export interface RawCommands {
  /** Command `raw-<i>` → its response, in ms. */
  roundTrip(i: number): Promise<number>;
  /** Removes the listeners and subscriptions; the clients stay connected. */
  close(): Promise<void>;
}

/**
 * QoS 1 command → QoS 1 response between `app` and `device`, connected with `protocolVersion`.
 * MQTT 5 does what Amora's controller and device do over it (adapters/mqtt): the command names
 * the app's response topic and expires with the sample's deadline; the device answers on the
 * topic the command names, with no properties. Each version has its own topics, so both can run
 * on one broker at once.
 */
export async function openRawCommands(device: MqttClient, app: MqttClient, protocolVersion: 4 | 5): Promise<RawCommands> {
  const answering = await answerRawCommands(device, protocolVersion);
  const sending = await sendRawCommands(app, protocolVersion).catch(async (error: unknown) => {
    await answering.close();
    throw error;
  });
  return {
    roundTrip: (i) => sending.roundTrip(i),
    async close() {
      await Promise.all([sending.close(), answering.close()]);
    },
  };
}

/** Each version's topics (see openRawCommands). */
function rawCommandTopics(protocolVersion: 4 | 5): { readonly commands: string; readonly responses: string } {
  const root = protocolVersion === 5 ? 'bench/raw5' : 'bench/raw';
  return { commands: `${root}/commands`, responses: `${root}/responses` };
}

/** The device's half of openRawCommands: answers each command. `close` removes the listener and the subscription. */
export async function answerRawCommands(device: MqttClient, protocolVersion: 4 | 5): Promise<{ close(): Promise<void> }> {
  const topics = rawCommandTopics(protocolVersion);
  await device.subscribeAsync(topics.commands, { qos: 1 });
  const onCommand = (_topic: string, payload: Buffer, packet: IPublishPacket): void => {
    const command = JSON.parse(payload.toString()) as { command: string; command_id: string };
    const response = { command_id: command.command_id, command: command.command, success: true, result: {}, timestamp: Date.now() };
    device.publish(packet.properties?.responseTopic ?? topics.responses, JSON.stringify(response), { qos: 1 });
  };
  device.on('message', onCommand);
  return {
    async close() {
      device.off('message', onCommand);
      await device.unsubscribeAsync(topics.commands);
    },
  };
}

/** The app's half of openRawCommands: sends command `raw-<i>` and times it to its response. */
export async function sendRawCommands(app: MqttClient, protocolVersion: 4 | 5): Promise<RawCommands> {
  const topics = rawCommandTopics(protocolVersion);
  const expirySeconds = Math.ceil(SAMPLE_DEADLINE_MS / 1_000);
  await app.subscribeAsync(topics.responses, { qos: 1 });
  const pending = new Map<string, (time: number) => void>();
  const onResponse = (_topic: string, payload: Buffer): void => {
    const at = nowMs();
    const response = JSON.parse(payload.toString()) as { command_id: string };
    pending.get(response.command_id)?.(at);
  };
  app.on('message', onResponse);
  return {
    async roundTrip(i) {
      const id = `raw-${i}`;
      const answered = new Promise<number>((resolve) => pending.set(id, resolve));
      const start = nowMs();
      const command = JSON.stringify({ command: 'echo', command_id: id, params: { value: i }, timestamp: Date.now() });
      // Options made per publish, as Amora's are; 3.1.1's carry no `properties` key at all (see core's MqttConnection.publish).
      app.publish(topics.commands, command, protocolVersion === 5 ? { qos: 1, properties: { responseTopic: topics.responses, messageExpiryInterval: expirySeconds } } : { qos: 1 });
      try {
        return (await deadline(answered, `raw command ${id}`)) - start;
      } finally {
        pending.delete(id);
      }
    },
    async close() {
      app.off('message', onResponse);
      await app.unsubscribeAsync(topics.responses);
    },
  };
}

/** How long the subscriber may hear nothing before the messages still missing count as dropped. */
const QUIET_MS = 1_000;

/**
 * Publishes every message at once (QoS 1) and times them to the last one received. A broker may
 * drop QoS 1 messages for a subscriber that falls behind (Mosquitto's max_queued_messages, 1,000
 * by default), so the run also ends after a quiet second, and counts what arrived.
 */
async function throughput(device: MqttClient, app: MqttClient, options: ScenarioOptions): Promise<{ perSecond: number; delivered: number }> {
  const topic = 'bench/raw/throughput';
  await app.subscribeAsync(topic, { qos: 1 });
  const last = options.throughputMessages - 1;
  let delivered = 0;
  let lastAt = Number.NaN;
  let quiet: NodeJS.Timeout | undefined;
  let resolveDone: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const finish = (): void => {
    clearTimeout(quiet);
    resolveDone?.();
  };
  app.on('message', (_t, payload) => {
    lastAt = nowMs();
    delivered++;
    if ((JSON.parse(payload.toString()) as { version: number }).version === last) finish();
    else quiet = rearm(quiet, finish);
  });
  const start = nowMs();
  for (let i = 0; i < options.throughputMessages; i++) device.publish(topic, statePayload(i), { qos: 1 });
  // Armed after the publishing loop: on a loaded machine the loop alone can outlast the quiet time.
  quiet = rearm(quiet, finish);
  await done;
  app.removeAllListeners('message');
  await app.unsubscribeAsync(topic);
  return { perSecond: delivered / ((lastAt - start) / 1000), delivered };
}

function rearm(timer: NodeJS.Timeout | undefined, onQuiet: () => void): NodeJS.Timeout {
  clearTimeout(timer);
  return setTimeout(onQuiet, QUIET_MS);
}
