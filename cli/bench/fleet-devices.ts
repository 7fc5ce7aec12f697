import mqtt, { type MqttClient } from 'mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { buildAgent, parseConfig, type Agent } from '../../core/index.js';
import { createBuiltinRegistry } from '../builtins.js';
import { mapLimited } from '../map-limited.js';
import { benchProfile, benchState } from './bench-profile.js';
import { watchCollector } from './collector-watch.js';
import { fleetDeviceId, serveRequests, settledMemory, type DevicesReply, type DevicesRequest } from './fleet-link.js';
import { nowMs } from './latency-recorder.js';

/**
 * The devices of one fleet pass, alone in this process: N Amora agents, or N mqtt.js clients
 * doing the same by hand (presence with a last will, the command subscription, retained QoS 1
 * state, an answer to each command). Each device publishes its state R times a second, the
 * fleet's sends spread evenly over each second; `playback.position` carries the time of the send
 * on the machine's monotonic clock, which the subscribers (another process) read the same clock
 * against.
 */

/** One device as the send loop sees it. */
interface FleetDevice {
  publishState(sentAt: number): void;
  stop(): Promise<void>;
}

let devices: FleetDevice[] = [];

serveRequests<DevicesRequest, DevicesReply>(async (request, reply) => {
  if (request.type === 'start') {
    const before = settledMemory();
    const start = nowMs();
    devices = [];
    const open = request.kind === 'amora' ? startAgent(createBuiltinRegistry(), request.protocolVersion) : startRaw;
    const ids = Array.from({ length: request.devices }, (_, index) => fleetDeviceId(request.pass, index));
    await mapLimited(ids, request.concurrency, async (id, index) => {
      devices[index] = await open(request.url, id);
    });
    const onlineMs = nowMs() - start;
    const after = settledMemory();
    reply({ type: 'online', onlineMs, heapPerDevice: (after.heap - before.heap) / request.devices, rssPerDevice: (after.rss - before.rss) / request.devices });
  } else if (request.type === 'run') {
    reply({ type: 'sent', ...(await sendLoop(request.rate, request.durationMs)) });
  } else {
    await Promise.allSettled(devices.map((device) => device.stop()));
    process.exit(0);
  }
});

/**
 * Sends every device's updates on schedule (device i at (k + i/N)/R s) and reports how many went
 * out, the CPU this process spent meanwhile, what its garbage collector did, and how late the
 * sends ran against the schedule.
 */
async function sendLoop(rate: number, durationMs: number): Promise<Omit<Extract<DevicesReply, { type: 'sent' }>, 'type'>> {
  const n = devices.length;
  const total = Math.floor((rate * durationMs) / 1000) * n;
  const spacingMs = 1000 / (rate * n);
  const collector = watchCollector();
  const cpu = process.cpuUsage();
  const start = nowMs();
  const lateMs: number[] = [];
  let sent = 0;
  while (sent < total) {
    const now = nowMs();
    const due = Math.min(total, Math.floor((now - start) / spacingMs) + 1);
    for (; sent < due; sent++) {
      const sentAt = nowMs();
      lateMs.push(sentAt - (start + sent * spacingMs));
      devices[sent % n]!.publishState(sentAt);
    }
    // Sleep until the next send is due (timers have 1 ms granularity, the same for both kinds).
    if (sent < total) await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + sent * spacingMs - nowMs())));
  }
  const used = process.cpuUsage(cpu);
  const elapsedMs = nowMs() - start;
  return { sent, cpuMicros: used.user + used.system, elapsedMs, lateMs, collector: await collector.stop() };
}

function startAgent(registry: ReturnType<typeof createBuiltinRegistry>, protocolVersion: 4 | 5) {
  return async (url: string, deviceId: string): Promise<FleetDevice> => {
    const config = parseConfig({ device: { id: deviceId, profile: 'bench' }, system: { enabled: false }, transports: [{ kind: 'mqtt', url, protocolVersion }] }, { env: {} });
    const agent: Agent = await buildAgent(config, registry, { profile: benchProfile });
    await agent.start(new AbortController().signal);
    await firstValueFrom(agent.health$.pipe(filter((health) => Object.values(health.components).every((status) => status.state === 'online'))));
    return {
      publishState: (sentAt) => agent.state.patch(benchState(sentAt)),
      stop: () => agent.stop(),
    };
  };
}

/** What a developer writes with mqtt.js alone for the same device: no-delay socket, as Amora's. */
async function startRaw(url: string, deviceId: string): Promise<FleetDevice> {
  const topic = (channel: string): string => `amora/devices/${deviceId}/${channel}`;
  const presence = (status: string): string => JSON.stringify({ device_id: deviceId, status, timestamp: Date.now() });
  const client: MqttClient = await mqtt.connectAsync(url, {
    clientId: `raw-${deviceId}`,
    reconnectPeriod: 0,
    will: { topic: topic('connection'), payload: Buffer.from(presence('offline')), qos: 1, retain: true },
  });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.on('message', (_topic, payload) => {
    const command = JSON.parse(payload.toString()) as { command: string; command_id: string; params?: unknown };
    const response = { command_id: command.command_id, command: command.command, success: true, result: command.params ?? {}, timestamp: Date.now() };
    client.publish(topic('responses'), JSON.stringify(response), { qos: 1 });
  });
  await client.subscribeAsync(topic('commands'), { qos: 1 });
  await client.publishAsync(topic('connection'), presence('online'), { qos: 1, retain: true });
  let version = 0;
  const publishState = (sentAt: number): void => {
    const message = { device_id: deviceId, version: ++version, timestamp: Date.now(), state: benchState(sentAt) };
    client.publish(topic('state'), JSON.stringify(message), { qos: 1, retain: true });
  };
  publishState(0);
  return { publishState, stop: () => client.endAsync() };
}
