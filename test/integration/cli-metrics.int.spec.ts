import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, pollUntil } from '../support/http-poll.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { parseSamples, sampleValue } from '../support/prometheus-text.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli, type CliProcess } from './cli-process.js';

/** The metrics URL an agent logs when its endpoint listens (port 0 picks a free one). */
async function metricsUrl(agent: CliProcess): Promise<string> {
  const line = await agent.stderrLine((l) => l.includes('"metrics endpoint listening"'));
  return (JSON.parse(line) as { url: string }).url.replace(/\/metrics$/, '');
}

describeWithBinaries(['mosquitto'], 'amora agent with a metrics endpoint, against Mosquitto', () => {
  let mosquitto: MosquittoHandle;
  let dir: string;
  let agent: CliProcess;
  let base: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    mosquitto = await startMosquitto();
    dir = await mkdtemp(join(tmpdir(), 'amora-metrics-'));
    const file = join(dir, 'agent.yaml');
    await writeFile(file, `device: { id: metrics-1 }\nplayer: { kind: virtual }\ntransports:\n  - kind: mqtt\n    url: ${mosquitto.url}\nmetrics: { port: 0, host: 127.0.0.1 }\n`);
    agent = spawnCli(['agent', '--config', file]);
    base = await metricsUrl(agent);
  }, 60_000);

  afterAll(async () => {
    await agent?.kill();
    await mosquitto?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves /healthz and, once the transport is online, /readyz and the connection gauges', async () => {
    expect(await httpGet(`${base}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
    const ready = await pollUntil(`${base}/readyz`, (a) => a.status === 200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, transports: { mqtt: 'online' }, components: { virtual: 'online' } });
    const text = (await httpGet(`${base}/metrics`)).body;
    expect(sampleValue(text, 'amora_transport_up', { transport: 'mqtt', device: 'metrics-1' })).toBe(1);
    expect(sampleValue(text, 'amora_transport_state', { transport: 'mqtt', state: 'online' })).toBe(1);
    expect(sampleValue(text, 'amora_transport_state', { transport: 'mqtt', state: 'offline' })).toBe(0);
    expect(sampleValue(text, 'amora_component_up', { component: 'virtual' })).toBe(1);
    expect(text).toMatch(/^amora_agent_info\{version="\d+\.\d+\.\d+[^"]*",device="metrics-1"\} 1$/m);
    expect(sampleValue(text, 'amora_messages_out_total', { transport: 'mqtt', class: 'state' })).toBeGreaterThan(0);
    expect(sampleValue(text, 'amora_state_publish_duration_seconds_count', { transport: 'mqtt' })).toBeGreaterThan(0);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts commands by name and code, with their durations, as they are answered', async () => {
    await pollUntil(`${base}/readyz`, (a) => a.status === 200);
    expect((await runCli(['ctl', 'metrics-1', 'setVolume', 'volume=20', '--url', mosquitto.url])).code).toBe(0);
    expect((await runCli(['ctl', 'metrics-1', 'setVolume', 'volume=300', '--url', mosquitto.url])).code).toBe(1);
    expect((await runCli(['ctl', 'metrics-1', 'no-such-thing', '--url', mosquitto.url])).code).toBe(1);
    const text = (await pollUntil(`${base}/metrics`, (a) => a.body.includes('code="unknown_command"'))).body;
    expect(sampleValue(text, 'amora_commands_total', { command: 'setVolume', code: 'ok' })).toBe(1);
    expect(sampleValue(text, 'amora_commands_total', { command: 'setVolume', code: 'invalid_params' })).toBe(1);
    // The unknown name is the sender's text: counted, but not as a label of its own.
    expect(sampleValue(text, 'amora_commands_total', { command: 'other', code: 'unknown_command' })).toBe(1);
    expect(text).not.toContain('no-such-thing');
    expect(sampleValue(text, 'amora_command_duration_seconds_count', { command: 'setVolume', code: 'ok' })).toBe(1);
    expect(sampleValue(text, 'amora_command_duration_seconds_bucket', { command: 'setVolume', code: 'ok', le: '+Inf' })).toBe(1);
    expect(sampleValue(text, 'amora_messages_in_total', { transport: 'mqtt', class: 'command' })).toBe(3);
    expect(sampleValue(text, 'amora_messages_out_total', { transport: 'mqtt', class: 'response' })).toBe(3);
  });

  it('shows the broker going away (not ready, transport down) and the reconnect when it is back', async () => {
    await pollUntil(`${base}/readyz`, (a) => a.status === 200);
    const before = sampleValue((await httpGet(`${base}/metrics`)).body, 'amora_transport_reconnects_total', { transport: 'mqtt' });
    expect(before).toBe(0);
    await mosquitto.stop();
    const down = await pollUntil(`${base}/readyz`, (a) => a.status === 503);
    expect(JSON.parse(down.body)).toMatchObject({ ready: false, transports: { mqtt: expect.stringMatching(/offline|connecting/) } });
    const offline = (await httpGet(`${base}/metrics`)).body;
    expect(sampleValue(offline, 'amora_transport_up', { transport: 'mqtt' })).toBe(0);
    expect(sampleValue(offline, 'amora_agent_ready')).toBe(0);
    // Liveness is about the process, not the broker: a restart would not bring Mosquitto back.
    expect((await httpGet(`${base}/healthz`)).status).toBe(200);
    await mosquitto.restart();
    await pollUntil(`${base}/readyz`, (a) => a.status === 200);
    const back = (await httpGet(`${base}/metrics`)).body;
    expect(sampleValue(back, 'amora_transport_reconnects_total', { transport: 'mqtt' })).toBe(1);
    expect(sampleValue(back, 'amora_transport_up', { transport: 'mqtt' })).toBe(1);
  });
});

describe('amora broker --metrics-port', () => {
  let broker: CliProcess;
  let url: string;
  let metrics: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    broker = spawnCli(['broker', '--port', '0', '--metrics-port', '0']);
    url = (await broker.stdoutLine((l) => l.startsWith('broker listening on '))).slice('broker listening on '.length);
    metrics = (await broker.stdoutLine((l) => l.startsWith('metrics on '))).slice('metrics on '.length);
  }, 60_000);

  afterAll(async () => {
    await broker?.kill();
  });

  it('counts clients, subscriptions, messages and refused connections', async () => {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4 });
    await client.subscribeAsync(['a/b', 'c/#'], { qos: 1 });
    await client.publishAsync('a/b', 'hello', { qos: 1 });
    let text = (await pollUntil(metrics, (a) => sampleValue(a.body, 'amora_broker_messages_total', { qos: '1', retain: 'false' }) === 1)).body;
    expect(sampleValue(text, 'amora_broker_clients')).toBe(1);
    expect(sampleValue(text, 'amora_broker_subscriptions')).toBe(2);
    expect(sampleValue(text, 'amora_broker_message_bytes_total')).toBe(5);
    expect(sampleValue(text, 'amora_broker_auth_refusals_total', { reason: 'not_authorized' })).toBe(0);

    // aedes speaks MQTT 3.1.1: an MQTT 5 CONNECT is refused in the CONNACK (unacceptable protocol version).
    const refused = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 5 });
    await new Promise<void>((resolve) => refused.once('error', () => resolve()));
    refused.end(true);
    await client.endAsync();
    text = (await pollUntil(metrics, (a) => sampleValue(a.body, 'amora_broker_clients') === 0)).body;
    expect(sampleValue(text, 'amora_broker_auth_refusals_total', { reason: 'protocol_version' })).toBe(1);
    expect(sampleValue(text, 'amora_broker_subscriptions')).toBe(0);
    expect(sampleValue(text, 'amora_broker_connections_total')).toBe(1);
  });
});

describeWithBinaries(['mosquitto_passwd'], 'amora broker --metrics-port with --password-file', ({ mosquitto_passwd }) => {
  let broker: CliProcess;
  let dir: string;

  afterAll(async () => {
    await broker?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts a wrong password as an auth refusal', async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-broker-metrics-'));
    execFileSync(mosquitto_passwd, ['-b', '-c', join(dir, 'passwd'), 'operator', 'right-pass']);
    broker = spawnCli(['broker', '--port', '0', '--metrics-port', '0', '--password-file', join(dir, 'passwd')]);
    const url = (await broker.stdoutLine((l) => l.startsWith('broker listening on '))).slice('broker listening on '.length);
    const metrics = (await broker.stdoutLine((l) => l.startsWith('metrics on '))).slice('metrics on '.length);
    const refused = mqtt.connect(url, { reconnectPeriod: 0, protocolVersion: 4, username: 'operator', password: 'wrong-pass' });
    await new Promise<void>((resolve) => refused.once('error', () => resolve()));
    refused.end(true);
    const good = await mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, username: 'operator', password: 'right-pass' });
    const text = (await pollUntil(metrics, (a) => sampleValue(a.body, 'amora_broker_clients') === 1)).body;
    const refusals = parseSamples(text).filter((s) => s.name === 'amora_broker_auth_refusals_total' && s.value > 0);
    expect(refusals.map((s) => s.labels['reason'])).toEqual([expect.stringMatching(/^(bad_credentials|not_authorized)$/)]);
    expect(refusals[0]?.value).toBe(1);
    await good.endAsync();
  }, 60_000);
});

