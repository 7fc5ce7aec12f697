import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import { coldStartEnv, endProcess } from './bench-process.js';
import { nowMs } from './latency-recorder.js';
import { alternatingRounds } from './rounds.js';
import { deadline } from './transport-probe.js';

/** What the cold-start scenario measured: fresh processes until their device is online, and their RSS then. */
export interface ColdStartResult {
  /** Each pass in the order it ran (raw and amora alternate, the order reversed every round). */
  readonly passes: readonly { readonly who: 'raw' | 'amora'; readonly ms: number; readonly rssBytes: number }[];
}

/**
 * A cold `amora agent` (the CLI from dist/, a config with the mqtt transport and the virtual
 * player, no state directory) beside a minimal mqtt.js script doing what a device needs first
 * (connect with a last will, subscribe to its commands, publish its presence online): each a fresh
 * `node` process, timed from spawn until a watcher on the broker sees the device's presence
 * online, and its RSS read from /proc at that moment.
 */
export async function runColdStart(rounds = 3): Promise<ColdStartResult> {
  const broker = await startEmbeddedBroker({ port: 0 });
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const dir = await mkdtemp(join(tmpdir(), 'amora-cold-start-'));
  const watcher = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    const online = new Map<string, () => void>();
    watcher.on('message', (topic, payload) => {
      if ((JSON.parse(payload.toString()) as { status?: string }).status === 'online') online.get(topic.split('/')[2] ?? '')?.();
    });
    await watcher.subscribeAsync('amora/devices/+/connection', { qos: 1 });
    const passes: { who: 'raw' | 'amora'; ms: number; rssBytes: number }[] = [];
    for (const { round, who } of alternatingRounds(rounds, ['raw', 'amora'])) {
      const deviceId = `cold-${who}-${round}`;
      const seen = new Promise<void>((resolve) => online.set(deviceId, resolve));
      const start = nowMs();
      const child = who === 'amora' ? await spawnAgent(dir, url, deviceId) : spawnRawScript(url, deviceId);
      try {
        await deadline(seen, `${who} cold start of ${deviceId}`, 60_000);
        const ms = nowMs() - start;
        passes.push({ who, ms, rssBytes: await rssOf(child) });
      } finally {
        online.delete(deviceId);
        await endProcess(child);
      }
    }
    return { passes };
  } finally {
    await watcher.endAsync(true);
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function spawnAgent(dir: string, url: string, deviceId: string): Promise<ChildProcess> {
  const config = join(dir, `${deviceId}.json`);
  await writeFile(config, JSON.stringify({ device: { id: deviceId }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url }] }));
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  return spawn(process.execPath, [main, 'agent', '--config', config, '--no-state-dir', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'], env: coldStartEnv() });
}

/** The least a device written with mqtt.js does before it can be reached, as a one-file script. */
function spawnRawScript(url: string, deviceId: string): ChildProcess {
  const topic = `amora/devices/${deviceId}`;
  const script = `
import mqtt from ${JSON.stringify(import.meta.resolve('mqtt'))};
const presence = (status) => JSON.stringify({ device_id: ${JSON.stringify(deviceId)}, status, timestamp: Date.now() });
const client = await mqtt.connectAsync(${JSON.stringify(url)}, { will: { topic: '${topic}/connection', payload: Buffer.from(presence('offline')), qos: 1, retain: true } });
client.stream.setNoDelay?.(true);
client.on('message', () => {});
await client.subscribeAsync('${topic}/commands', { qos: 1 });
await client.publishAsync('${topic}/connection', presence('online'), { qos: 1, retain: true });
process.on('SIGTERM', () => client.end(false, () => process.exit(0)));
`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function rssOf(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kib === undefined ? Number.NaN : Number(kib) * 1024;
}

