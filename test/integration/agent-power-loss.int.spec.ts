import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

interface WireRecord {
  readonly id: string;
  readonly data: unknown;
  readonly timestamp: number;
}

/** Polls `check` until it returns a value other than undefined (files have no change events we can rely on here). */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The telemetry record ids queued in an outbox journal (appended and not yet removed). */
async function journalIds(path: string): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const live = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const entry = JSON.parse(line) as { k?: number; v?: { payload: string }; d?: number };
    if (entry.k !== undefined && entry.v) live.set(entry.k, entry.v.payload);
    else if (entry.d !== undefined) live.delete(entry.d);
  }
  return [...live.values()].flatMap((payload) => {
    const message = JSON.parse(payload) as { records?: WireRecord[] };
    return (message.records ?? []).map((record) => record.id);
  });
}

/** `prefix-counter` → [prefix, counter]: ids are a random per-run prefix and a base-36 counter. */
function splitId(id: string): [string, number] {
  const dash = id.lastIndexOf('-');
  return [id.slice(0, dash), Number.parseInt(id.slice(dash + 1), 36)];
}

// The power cut of a deployed device, made to happen: the broker goes away, telemetry keeps coming
// into the outbox, the agent is killed with SIGKILL (nothing gets to run on the way out), starts
// again, and the broker comes back. What a consumer sees: every record, and newer state versions.
describeWithBinaries(['mosquitto'], 'amora agent through a broker outage and a kill -9', () => {
  let broker: MosquittoHandle;
  let dir: string;
  const agents: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    broker = await startMosquitto();
    dir = await mkdtemp(join(tmpdir(), 'amora-power-loss-'));
  }, 120_000);

  afterAll(async () => {
    for (const started of agents) await started.kill();
    await broker?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function configFile(name: string, deviceId: string, extra: string, transportExtra = ''): Promise<string> {
    const file = join(dir, name);
    await writeFile(
      file,
      `device: { id: ${deviceId} }
player: { kind: virtual }
transports:
  - kind: mqtt
    url: ${broker.url}
    retry: { initialMs: 100, maxMs: 300 }
${transportExtra}
${extra}
`,
    );
    return file;
  }

  function startAgent(file: string): CliProcess {
    const child = spawnCli(['agent', '--config', file, '--log-level', 'info']);
    agents.push(child);
    return child;
  }

  it('loses no telemetry record and keeps the state version rising', async () => {
    const deviceId = 'power-loss-1';
    const file = await configFile('power-loss.yaml', deviceId, 'telemetry: { batchSize: 1, statusIntervalMs: 100 }');
    const journal = join(dir, 'state', deviceId, 'outbox-mqtt.jsonl');

    // A consumer with a persistent session, as a backend would run it.
    const received: WireRecord[] = [];
    const versions: number[] = [];
    // MQTT 5: without a session expiry interval, clean: false still ends the session on disconnect.
    const consumer = await mqtt.connectAsync(broker.url, {
      clientId: 'power-loss-consumer',
      clean: false,
      reconnectPeriod: 100,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3_600 },
    });
    consumer.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString()) as { records?: WireRecord[]; version?: number };
      if (topic.endsWith('/state')) versions.push(message.version!);
      else received.push(...(message.records ?? []));
    });
    await consumer.subscribeAsync([`amora/devices/${deviceId}/telemetry/#`, `amora/devices/${deviceId}/state`], { qos: 1 });

    try {
      const first = startAgent(file);
      await until('records from the first run', () => (received.length >= 3 && versions.length > 0 ? true : undefined));
      const firstPrefix = splitId(received[0]!.id)[0];

      await broker.stop();
      // Offline: records go to the outbox journal. Wait for a good number of them.
      const queued = await until('records queued in the journal', async () => {
        const ids = await journalIds(journal);
        return ids.length >= 15 ? ids : undefined;
      });
      first.child.kill('SIGKILL');
      await first.exited;
      const lastVersionBefore = Math.max(...versions);
      // What the killed run left behind: its highest record counter (everything up to it was produced).
      const queuedAtKill = await journalIds(journal);
      expect(queuedAtKill.length).toBeGreaterThanOrEqual(queued.length);
      const lastCounter = Math.max(...queuedAtKill.map((id) => splitId(id)[1]));

      const second = startAgent(file);
      await second.stderrLine((line) => line.includes('outbox restored from the state directory'));
      await broker.restart();

      // Every record of the first run arrives: counters 0..lastCounter, none missing.
      const firstRun = await until(
        'every record of the killed run',
        () => {
          const counters = new Set(received.filter((r) => splitId(r.id)[0] === firstPrefix).map((r) => splitId(r.id)[1]));
          for (let counter = 0; counter <= lastCounter; counter++) if (!counters.has(counter)) return undefined;
          return counters;
        },
        60_000,
      ).catch((error: unknown) => {
        const counters = new Set(received.filter((r) => splitId(r.id)[0] === firstPrefix).map((r) => splitId(r.id)[1]));
        const missing = Array.from({ length: lastCounter + 1 }, (_, counter) => counter).filter((counter) => !counters.has(counter));
        throw new Error(`records of the killed run never arrived: counters ${missing.join(', ')} of 0-${lastCounter}`, { cause: error });
      });
      expect(firstRun.size).toBeGreaterThanOrEqual(lastCounter + 1);
      // The second run's records come too, under ids of their own.
      await until('records of the second run', () => (received.some((r) => splitId(r.id)[0] !== firstPrefix) ? true : undefined));
      // QoS 1 may deliver one twice; the ids say which (none here is a different record under a reused id).
      const byId = new Map(received.map((r) => [r.id, r.timestamp]));
      for (const record of received) expect(byId.get(record.id)).toBe(record.timestamp);

      // A consumer ordering by version sees the new run's state as newer.
      const stateAfter = await until('a state from the second run', () => versions.find((v, i) => i > 0 && v > lastVersionBefore));
      expect(stateAfter).toBeGreaterThan(lastVersionBefore);
      await second.stop('SIGTERM');
    } finally {
      await consumer.endAsync(true);
    }
  }, 150_000);

  it('logs a long run of outbox drops in a few lines while counting every one', async () => {
    const deviceId = 'log-flood-1';
    const file = await configFile('log-flood.yaml', deviceId, 'telemetry: { batchSize: 1, statusIntervalMs: 5 }\nstateDir: false', '    outboxSize: 2');
    await broker.stop();
    try {
      const child = startAgent(file);
      const dropLines = (): string[] => child.stderr.split('\n').filter((line) => line.includes('outbox full; dropped the oldest message'));
      // Wait for a summary line that counts at least 200 drops.
      await until('200 drops counted', () =>
        dropLines().some((line) => (JSON.parse(line) as { dropped: number }).dropped >= 200) ? true : undefined, 60_000);
      const lines = dropLines();
      const dropped = Math.max(...lines.map((line) => (JSON.parse(line) as { dropped: number }).dropped));
      expect(dropped).toBeGreaterThanOrEqual(200);
      // The first drop at once, then one summary per 10 s: 2 or 3 lines where there were hundreds.
      expect(lines.length).toBeLessThanOrEqual(3);
      expect(JSON.parse(lines[0]!)).toMatchObject({ dropped: 1 });
      await child.stop('SIGTERM');
    } finally {
      await broker.restart();
    }
  }, 120_000);
});
