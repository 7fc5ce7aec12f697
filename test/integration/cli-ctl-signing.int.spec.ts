import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import { ensureCliBuilt } from './cli-build.js';
import { connectRaw } from '../support/raw-mqtt-client.js';
import { runCli, spawnCli } from './cli-process.js';

const DEVICE = 'ctl-signed-1';

// `amora ctl --config` and `amora watch --config` build their controller from the config,
// middleware included: with the device's signing key its commands run, with a plain --url they
// are refused; watch shows what verifies and reports what does not.
describe('amora ctl and watch with the signing middleware', () => {
  let broker: EmbeddedBroker;
  let agent: Agent;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    await ensureCliBuilt();
    broker = await startEmbeddedBroker({ port: 0 });
    url = `mqtt://127.0.0.1:${broker.port}`;
    dir = await mkdtemp(join(tmpdir(), 'amora-ctl-signing-'));
    const signing = { kind: 'signing', signingKey: { kid: 'k1', key: '${AMORA_TEST_SIGNING_KEY}' } };
    await writeFile(join(dir, 'ctl.json'), JSON.stringify({ device: { id: 'ops' }, transports: [{ kind: 'mqtt', url, protocolVersion: 4 }], middleware: [signing] }));
    const env = { AMORA_TEST_SIGNING_KEY: 'the-ctl-test-signing-key-of-32-chars!' };
    agent = await buildAgent(
      parseConfig({ device: { id: DEVICE }, transports: [{ kind: 'mqtt', url, protocolVersion: 4 }], middleware: [signing], system: { enabled: false } }, { env }),
      createBuiltinRegistry(),
    );
    await agent.start();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await broker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a command signed with the key from the config', async () => {
    const result = await runCli(['ctl', DEVICE, 'setVolume', 'volume=12', '--config', join(dir, 'ctl.json')], { AMORA_TEST_SIGNING_KEY: 'the-ctl-test-signing-key-of-32-chars!' });
    expect(result.stdout).toContain('ok setVolume');
    expect(result.code).toBe(0);
  });

  it('is refused unauthorized without the key, and with another one', async () => {
    const unsigned = await runCli(['ctl', DEVICE, 'setVolume', 'volume=99', '--url', url]);
    expect(unsigned.stderr).toContain('error unauthorized: command refused: command is not signed');
    const forged = await runCli(['ctl', DEVICE, 'setVolume', 'volume=99', '--config', join(dir, 'ctl.json')], { AMORA_TEST_SIGNING_KEY: 'another-signing-key-of-at-least-32-chars' });
    // The device refuses it; its (signed) answer does not verify with the wrong key either.
    expect(forged.stderr).toContain('error unauthorized: response refused: signature does not match');
    expect((agent.state.snapshot.state['audio'] as { volume?: number } | undefined)?.volume).toBe(12);
  });

  it('amora watch --telemetry shows verified telemetry and reports a forged record instead of showing it', async () => {
    const env = { AMORA_TEST_SIGNING_KEY: 'the-ctl-test-signing-key-of-32-chars!' };
    const watch = spawnCli(['watch', DEVICE, '--config', join(dir, 'ctl.json'), '--telemetry', '--json'], env);
    const stranger = await connectRaw(url);
    try {
      // Its telemetry subscription went out before the state one: a state line means both are in place.
      await watch.stdoutLine((line) => line.includes('"type":"state"'));
      await stranger.publish(`amora/devices/${DEVICE}/telemetry/metrics`, JSON.stringify({ device_id: DEVICE, kind: 'metrics', records: [{ data: { cpu: 99 }, timestamp: Date.now() }] }));
      agent.emitTelemetry('metrics', { cpu: 5 }, { immediate: true });
      const shown = JSON.parse(await watch.stdoutLine((line) => line.includes('"type":"telemetry"'))) as { records: { data: unknown }[] };
      expect(shown.records.map((record) => record.data)).toEqual([{ cpu: 5 }]);
      const refused = JSON.parse(await watch.stdoutLine((line) => line.includes('"type":"refused"'))) as Record<string, unknown>;
      expect(refused).toEqual({ type: 'refused', device_id: DEVICE, what: 'telemetry', kind: 'metrics', reason: 'telemetry is not signed', total: 1 });
      expect(watch.stdout).not.toContain('"cpu":99');
      expect(await watch.stop('SIGINT')).toEqual({ code: 0, signal: null });
    } finally {
      await stranger.end();
      await watch.kill();
    }
  });
});
