import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { buildController, parseConfig, type PluginRegistry } from '../../core/index.js';
import { findBinary } from '../../test/support/binaries.js';
import { startMosquitto } from '../../test/support/mosquitto.js';
import { coldStartEnv, endProcess } from './bench-process.js';
import { nowMs } from './latency-recorder.js';
import { alternatingRounds } from './rounds.js';
import { deadline } from './transport-probe.js';

/** The CLI beside this module once built (`dist/cli/main.js`). */
const BUILT_CLI = fileURLToPath(new URL('../main.js', import.meta.url));

export interface DiscoveryPass {
  readonly who: 'raw' | 'amora';
  readonly ms: number;
}

/** What the discovery scenario measured: ms until a fresh controller knows the whole fleet. */
export interface DiscoveryResult {
  readonly devices: number;
  /** `devices$()` against a raw wildcard subscription, each pass in the order it ran (alternating, the order reversed every round). */
  readonly passes: readonly DiscoveryPass[];
  /** `amora watch --json` against a raw wildcard script, both processes printing a line per message, from spawn to the last line. */
  readonly watch: readonly DiscoveryPass[];
}

/**
 * A fleet's retained presences and states (N devices) on Mosquitto, then a fresh controller
 * discovers them, alternating raw and amora with the order reversed each round:
 * - in process, raw mqtt.js subscribes to `amora/devices/+/connection` and counts N messages;
 *   Amora's `devices$()` emits a list of N; timed from before the connect to the last device;
 * - as a user runs it, `amora watch --json` (every device's presence and state, 2N lines) against
 *   a one-file mqtt.js script subscribing to both wildcards and printing each message as a JSON
 *   line; timed from spawn to the last line.
 */
export async function runDiscovery(registry: PluginRegistry, devices: number, rounds = 2, cli = BUILT_CLI): Promise<DiscoveryResult | string> {
  if (!findBinary('mosquitto')) return 'mosquitto is not installed (apt-get install mosquitto)';
  // A controller reading the whole fleet's retained messages must not be cut off at Mosquitto's default 1,000.
  const broker = await startMosquitto({ extraConfig: `max_queued_messages ${devices * 2}` });
  try {
    await seedFleet(broker.url, devices);
    const passes: DiscoveryPass[] = [];
    for (const { who } of alternatingRounds(rounds, ['raw', 'amora'])) {
      const ms = who === 'raw' ? await rawDiscovery(broker.url, devices) : await amoraDiscovery(registry, broker.url, devices);
      passes.push({ who, ms });
    }
    const watch: DiscoveryPass[] = [];
    for (const { who } of alternatingRounds(rounds, ['raw', 'amora'])) watch.push({ who, ms: await watchFleet(who, cli, broker.url, 2 * devices) });
    return { devices, passes, watch };
  } finally {
    await broker.dispose();
  }
}

/** A retained presence and a retained ~300-byte state per device, as a running fleet leaves them. */
async function seedFleet(url: string, devices: number): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const state = { playback: { state: 'playing', position: 12.5, track: { title: 'A track title', artist: 'An artist', album: 'An album', duration: 215 } }, audio: { volume: 55, muted: false } };
  try {
    for (let i = 0; i < devices; i++) {
      const deviceId = `fleet-${String(i).padStart(5, '0')}`;
      const presence = JSON.stringify({ device_id: deviceId, status: 'online', timestamp: Date.now() });
      const message = JSON.stringify({ device_id: deviceId, state, version: 3, timestamp: Date.now() });
      // Both leave back to back; both acknowledgements are awaited (a refusal fails the seeding).
      await Promise.all([
        client.publishAsync(`amora/devices/${deviceId}/connection`, presence, { qos: 1, retain: true }),
        client.publishAsync(`amora/devices/${deviceId}/state`, message, { qos: 1, retain: true }),
      ]);
    }
  } finally {
    await client.endAsync();
  }
}

async function rawDiscovery(url: string, devices: number): Promise<number> {
  const start = nowMs();
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  try {
    const seen = new Set<string>();
    const all = new Promise<void>((resolve) =>
      client.on('message', (topic) => {
        seen.add(topic);
        if (seen.size === devices) resolve();
      }),
    );
    await client.subscribeAsync('amora/devices/+/connection', { qos: 1 });
    await deadline(all, 'every retained presence (raw)', 120_000);
    return nowMs() - start;
  } finally {
    await client.endAsync(true);
  }
}

async function amoraDiscovery(registry: PluginRegistry, url: string, devices: number): Promise<number> {
  const start = nowMs();
  const config = parseConfig({ device: { id: 'bench-discovery' }, transports: [{ kind: 'mqtt', url }] });
  const controller = await buildController(config, registry);
  const abort = new AbortController();
  try {
    await controller.start(abort.signal);
    await deadline(firstValueFrom(controller.devices$().pipe(filter((list) => list.length === devices))), 'every device in devices$()', 120_000);
    return nowMs() - start;
  } finally {
    abort.abort();
    await controller.stop();
  }
}

/** Spawns `amora watch --json` (the CLI at `cli`) or the raw script and times it until it has printed `lines` lines. */
async function watchFleet(who: 'raw' | 'amora', cli: string, url: string, lines: number): Promise<number> {
  const script = `
import mqtt from ${JSON.stringify(import.meta.resolve('mqtt'))};
const client = await mqtt.connectAsync(${JSON.stringify(url)});
client.stream.setNoDelay?.(true);
client.on('message', (topic, payload) => {
  const type = topic.endsWith('/state') ? 'state' : 'connection';
  process.stdout.write(JSON.stringify({ type, ...JSON.parse(payload.toString()) }) + '\\n');
});
await client.subscribeAsync(['amora/devices/+/connection', 'amora/devices/+/state'], { qos: 1 });
`;
  const args = who === 'raw' ? ['--input-type=module', '-e', script] : [cli, 'watch', '--json', '--url', url];
  const start = nowMs();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], ...(who === 'amora' ? { env: coldStartEnv() } : {}) });
  try {
    let seen = 0;
    const all = new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`${who} watch exited (${signal ?? code}) after ${seen} of ${lines} lines`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        for (const byte of chunk) if (byte === 0x0a) seen++;
        if (seen >= lines) resolve();
      });
    });
    await deadline(all, `every retained presence and state (${who} watch)`, 120_000);
    return nowMs() - start;
  } finally {
    // Waited for, so the next pass never shares the machine with this one's ending.
    await endProcess(child);
  }
}
