import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliProcess } from './cli-process.js';

const SECRET = 'pa55-Not-For-Logs';

/** The retained presence message of a device, as a client connecting now reads it. */
async function retainedPresence(brokerUrl: string, deviceId: string): Promise<{ status: string; reason?: string }> {
  const client = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
  try {
    const topic = `amora/devices/${deviceId}/connection`;
    const message = new Promise<Buffer>((resolve) => client.on('message', (t, payload) => t === topic && resolve(payload)));
    await client.subscribeAsync(topic, { qos: 1 });
    return JSON.parse((await message).toString()) as { status: string; reason?: string };
  } finally {
    await client.endAsync(true);
  }
}

/** `amora broker` plus `amora agent --config FILE`, as a deployment runs them. */
describe('amora broker and agent', () => {
  let broker: CliProcess;
  let url: string;
  let wsUrl: string;
  let dir: string;
  const agents: CliProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-agent-'));
    broker = spawnCli(['broker', '--port', '0', '--ws-port', '0']);
    const line = await broker.stdoutLine((l) => l.startsWith('broker listening on '));
    url = line.slice('broker listening on '.length);
    wsUrl = (await broker.stdoutLine((l) => l.startsWith('websocket on '))).slice('websocket on '.length);
  });

  afterAll(async () => {
    for (const started of agents) await started.kill();
    await broker?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function config(name: string, yaml: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, yaml);
    return file;
  }

  function agent(file: string): CliProcess {
    const child = spawnCli(['agent', '--config', file]);
    agents.push(child);
    return child;
  }

  it('runs an agent from a YAML config; SIGTERM publishes a graceful offline and exits 0; the password never reaches the log', async () => {
    const file = await config(
      'agent.yaml',
      `device: { id: cli-agent-1, name: Test Bench }
player: { kind: virtual }
transports:
  - kind: mqtt
    url: ${url}
    username: amora
    password: ${SECRET}
`,
    );
    const running = agent(file);
    await running.stderrLine((l) => l.includes('"agent running"'));
    expect(await retainedPresence(url, 'cli-agent-1')).toMatchObject({ status: 'online' });
    const result = await runCli(['ctl', 'cli-agent-1', 'setVolume', 'volume=12', '--url', url]);
    expect(result.code).toBe(0);
    // ctl --config talks over the agent's own transport settings, credentials included.
    const status = await runCli(['ctl', 'cli-agent-1', 'getStatus', '--json', '--config', file]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ success: true, result: { audio: { volume: 12 } } });
    expect(status.stderr).toBe('');

    expect(await running.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await retainedPresence(url, 'cli-agent-1')).toMatchObject({ status: 'offline', reason: 'graceful' });
    const late = await runCli(['ctl', 'cli-agent-1', 'play', '--timeout', '300', '--url', url]);
    expect(late.code).toBe(4);
    expect(late.stderr).toBe('amora: no response from cli-agent-1 to play within 300 ms: cli-agent-1 is offline');
    expect(running.stderr).toContain('"password":"[redacted]"');
    expect(running.stderr).not.toContain(SECRET);
    expect(running.stdout).not.toContain(SECRET);
  });

  it('says which broker it cannot reach, without the credentials in its URL, and still stops on SIGTERM', async () => {
    const port = await freePort();
    const file = await config(
      'unreachable.yaml',
      `device: { id: cli-agent-2 }
transports:
  - kind: mqtt
    url: mqtt://amora:${SECRET}@127.0.0.1:${port}
`,
    );
    const running = agent(file);
    const warning = await running.stderrLine((l) => l.includes('"level":40') && l.includes('cannot connect'));
    expect(warning).toContain(`127.0.0.1:${port}`);
    expect(await running.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(running.stderr).not.toContain(SECRET);
  });

  it.each([
    ['a transport option of the wrong type', `transports:\n  - kind: mqtt\n    url: 42\n`, ['transports[0]', 'url']],
    ['a transport without kind', `transports:\n  - url: ${'mqtt://127.0.0.1:1'}\n`, ['transports[0].kind']],
    ['an unknown transport kind', `transports:\n  - kind: carrier-pigeon\n`, ['transports[0]', 'carrier-pigeon']],
    ['a device id of the wrong type', `device: { id: 42 }\ntransports:\n  - kind: mqtt\n`, ['device.id']],
  ])('exits 2 naming the key path for %s', async (_what, yaml, mentions) => {
    const body = yaml.startsWith('device:') ? yaml : `device: { id: cli-agent-3 }\n${yaml}`;
    const file = await config(`bad-${mentions[0]}.yaml`.replace(/[^\w.-]/g, '_'), body);
    const result = await runCli(['agent', '--config', file]);
    expect(result.code).toBe(2);
    const message = result.stderr.split('\n').find((line) => line.startsWith('amora: '));
    expect(message).toContain(file);
    for (const mention of mentions) expect(message).toContain(mention);
  });

  it('exits 2 naming a config file that does not exist', async () => {
    const result = await runCli(['agent', '--config', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${join(dir, 'missing.yaml')}: file not found`);
  });

  it('a second broker on a port in use exits 2 saying so', async () => {
    const port = new URL(url).port;
    const result = await runCli(['broker', '--port', port]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`amora: port ${port} on 127.0.0.1 is already in use: pass another --port`);
  });

  it('a demo on a WebSocket port in use exits 2 naming --ws-port', async () => {
    const port = new URL(wsUrl).port;
    const result = await runCli(['demo', '--port', '0', '--ws-port', port]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`amora: port ${port} on 127.0.0.1 is already in use: pass another --ws-port`);
  });

  it('when the broker stops (exit 0 on SIGINT), a running agent and watch keep retrying and still exit 0 on their signal', async () => {
    const running = agent(await config('survivor.yaml', `device: { id: cli-agent-4 }\ntransports:\n  - kind: mqtt\n    url: ${url}\n`));
    await running.stderrLine((l) => l.includes('"agent running"'));
    const watch = spawnCli(['watch', 'cli-agent-4', '--url', url]);
    agents.push(watch);
    await watch.stdoutLine((l) => l.endsWith('cli-agent-4 online'));

    expect(await broker.stop('SIGINT')).toEqual({ code: 0, signal: null });
    await running.stderrLine((l) => l.includes('"msg":"mqtt is offline; retrying"'));
    await watch.stderrLine((l) => l.startsWith(`amora: lost the connection to ${url}`));

    expect(await running.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await watch.stop('SIGINT')).toEqual({ code: 0, signal: null });
  });
});

describeWithBinaries(['mosquitto', 'mosquitto_passwd'], 'amora agent against a broker that refuses its credentials', ({ mosquitto_passwd }) => {
  let broker: MosquittoHandle;
  let dir: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-cli-auth-'));
    const passwords = join(dir, 'passwords');
    execFileSync(mosquitto_passwd, ['-b', '-c', passwords, 'agent', 'the-right-one']);
    broker = await startMosquitto({ allowAnonymous: false, extraConfig: `password_file ${passwords}` });
  });

  afterAll(async () => {
    await broker?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stops and exits 5 when every transport refused the credentials, saying so without the password', async () => {
    const file = join(dir, 'wrong-password.yaml');
    await writeFile(file, `device: { id: cli-agent-auth }\ntransports:\n  - kind: mqtt\n    url: ${broker.url}\n    username: agent\n    password: ${SECRET}\n`);
    const result = await runCli(['agent', '--config', file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('every transport refused the credentials');
    expect(result.stderr).not.toContain(SECRET);
  });
});
