import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ReplaySubject } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CommandResponse } from '../../core/commands/types.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import type { ConnectionMessage } from '../../core/transport/wire-messages.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { waitFor } from '../support/wait-for.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

const bootTime = (m: DeviceStateMessage): number | undefined => (m.state['system'] as { boot_time?: number } | undefined)?.boot_time;

interface Received {
  readonly topic: string;
  readonly payload: unknown;
  /** Epoch ms at arrival. */
  readonly at: number;
}

// `reboot` end to end: the agent CLI on a real Mosquitto, a subscriber watching presence and
// answers, and a hook script that records when it ran.
describeWithBinaries(['mosquitto'], 'reboot', () => {
  let broker: MosquittoHandle;
  let client: mqtt.MqttClient;
  let dir: string;
  const messages = new ReplaySubject<Received>();
  const agents: CliProcess[] = [];

  const writeConfig = async (device: string, extra: object): Promise<string> => {
    const path = join(dir, `${device}.json`);
    await writeFile(path, JSON.stringify({ device: { id: device }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: broker.url }], ...extra }));
    return path;
  };
  const startAgent = (config: string): CliProcess => {
    const agent = spawnCli(['agent', '--config', config]);
    agents.push(agent);
    return agent;
  };
  const on = <T>(topic: string, predicate: (payload: T) => boolean): Promise<Received> =>
    waitFor(messages, (m) => m.topic === topic && predicate(m.payload as T));
  const send = (device: string, command: string, commandId: string): Promise<unknown> =>
    client.publishAsync(`amora/devices/${device}/commands`, JSON.stringify({ command, command_id: commandId, params: {}, timestamp: Date.now() }), { qos: 1 });

  beforeAll(async () => {
    await ensureCliBuilt();
    broker = await startMosquitto();
    dir = await mkdtemp(join(tmpdir(), 'amora-reboot-'));
    client = await mqtt.connectAsync(broker.url);
    client.on('message', (topic, payload) => messages.next({ topic, payload: JSON.parse(payload.toString()), at: Date.now() }));
    await client.subscribeAsync('amora/devices/+/+', { qos: 1 });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await client?.endAsync();
    await broker?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers, goes offline with reason reboot, then runs the hook exactly once, also for a retried command_id', async () => {
    const ranFile = join(dir, 'hook-ran');
    const hook = join(dir, 'reboot-hook.sh');
    // Epoch milliseconds (GNU date), one line per run.
    await writeFile(hook, `#!/bin/sh\ndate +%s%3N >> '${ranFile}'\n`);
    await chmod(hook, 0o755);
    const agent = startAgent(await writeConfig('player-reboot', { system: { reboot: { command: [hook] } } }));
    await on<ConnectionMessage>('amora/devices/player-reboot/connection', (m) => m.status === 'online');

    await send('player-reboot', 'reboot', 'reboot-1');
    await send('player-reboot', 'reboot', 'reboot-1');
    const answer = await on<CommandResponse>('amora/devices/player-reboot/responses', (r) => r.command_id === 'reboot-1');
    expect(answer.payload).toMatchObject({ success: true, result: { rebooting: true } });
    const offline = await on<ConnectionMessage>('amora/devices/player-reboot/connection', (m) => m.status === 'offline');
    expect(offline.payload).toMatchObject({ status: 'offline', reason: 'reboot' });

    // The hook ran, the agent exited as a device going down would.
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    const runs = (await readFile(ranFile, 'utf8')).trim().split('\n');
    expect(runs).toHaveLength(1);
    expect(Number(runs[0])).toBeGreaterThanOrEqual(answer.at);
    expect(Number(runs[0])).toBeGreaterThanOrEqual(offline.at);
    // The retry got the first answer again (from the dedupe cache, even while stopping), never a second run.
    const answers: unknown[] = [];
    messages.subscribe((m) => m.topic === 'amora/devices/player-reboot/responses' && answers.push(m.payload)).unsubscribe();
    expect(answers.length).toBeGreaterThanOrEqual(1);
    for (const each of answers) expect(each).toMatchObject({ command_id: 'reboot-1', success: true, result: { rebooting: true } });
  });

  it('in dev_mode without a hook restarts the agent in-process, which reports a new boot time', async () => {
    startAgent(await writeConfig('player-dev', { dev_mode: true }));
    const state = 'amora/devices/player-dev/state';
    const before = bootTime((await on<DeviceStateMessage>(state, (m) => bootTime(m) !== undefined)).payload as DeviceStateMessage) ?? 0;

    await send('player-dev', 'reboot', 'reboot-dev');
    expect((await on<CommandResponse>('amora/devices/player-dev/responses', (r) => r.command_id === 'reboot-dev')).payload).toMatchObject({ success: true });
    const offline = await on<ConnectionMessage>('amora/devices/player-dev/connection', (m) => m.status === 'offline');
    expect(offline.payload).toMatchObject({ reason: 'reboot' });
    await waitFor(messages, (m) => m.topic === 'amora/devices/player-dev/connection' && m.at >= offline.at && (m.payload as ConnectionMessage).status === 'online');
    await on<DeviceStateMessage>(state, (m) => (bootTime(m) ?? 0) > before);
  });

  it('without a hook and outside dev_mode answers unsupported and stays online', async () => {
    startAgent(await writeConfig('player-plain', {}));
    await on<ConnectionMessage>('amora/devices/player-plain/connection', (m) => m.status === 'online');
    await send('player-plain', 'reboot', 'reboot-plain');
    const answer = await on<CommandResponse>('amora/devices/player-plain/responses', (r) => r.command_id === 'reboot-plain');
    expect(answer.payload).toMatchObject({ success: false, error: { code: 'unsupported', message: expect.stringContaining('system.reboot.command') } });
    await send('player-plain', 'getStatus', 'status-after');
    expect((await on<CommandResponse>('amora/devices/player-plain/responses', (r) => r.command_id === 'status-after')).payload).toMatchObject({ success: true });
  });
});
