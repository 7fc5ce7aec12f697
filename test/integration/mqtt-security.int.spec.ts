import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../core/errors.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { parseMqttOptions, type MqttOptionsInput } from '../../adapters/mqtt/options.js';
import { Recorder } from '../conformance/recorder.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';
import { RecordingRetryPolicy } from '../support/recording-retry-policy.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { createTestPki, type TestPki } from '../support/test-pki.js';

const WAIT_MS = 10_000;
const signal = (): AbortSignal => new AbortController().signal;
const PASSWORD = 'correct horse battery';

/** Offline because the CA file the config names is not there. */
const missingCaFile = (s: ConnectionStatus): boolean => s.state === 'offline' && /^tls\.ca: cannot read .*vanishing-ca\.pem: ENOENT$/.test(s.error?.message ?? '');

/** Starts a device transport with a recording policy and returns its first settled status. */
async function connectOnce(options: MqttOptionsInput): Promise<{ status: ConnectionStatus; policy: RecordingRetryPolicy; transport: MqttDeviceTransport }> {
  const policy = new RecordingRetryPolicy();
  const transport = new MqttDeviceTransport(parseMqttOptions(options), 'mqtt', 'secure-1', undefined, policy, undefined, undefined);
  const statuses = new Recorder(transport.status$, WAIT_MS);
  await transport.start(signal());
  const status = await statuses.wait('online, or offline with an error', (s) => s.state === 'online' || s.error !== undefined);
  statuses.stop();
  return { status, policy, transport };
}

describeWithBinaries(['mosquitto', 'mosquitto_passwd'], 'MQTT authentication on Mosquitto', ({ mosquitto_passwd }) => {
  let broker: MosquittoHandle;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-auth-'));
    const passwords = join(dir, 'passwords');
    execFileSync(mosquitto_passwd, ['-b', '-c', passwords, 'agent', PASSWORD]);
    broker = await startMosquitto({ allowAnonymous: false, extraConfig: `password_file ${passwords}` });
  });

  afterAll(async () => {
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([5, 4] as const)('connects with the right password (MQTT %i)', async (protocolVersion) => {
    const { status, transport } = await connectOnce({ url: broker.url, protocolVersion, username: 'agent', password: PASSWORD });
    await transport.stop();
    expect(status.state).toBe('online');
  });

  // Mosquitto 2.0 answers a wrong MQTT 5 password with 135 (not authorized), not 134.
  it.each([
    [5, 'agent', 'wrong', 135],
    [4, 'agent', 'wrong', 5],
    [5, undefined, undefined, 135],
  ] as const)('refuses MQTT %i credentials %s/%s as AuthenticationError, without a retry loop', async (protocolVersion, username, password, reasonCode) => {
    const { status, policy, transport } = await connectOnce({
      url: broker.url,
      protocolVersion,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    });
    await transport.stop();
    expect(status).toMatchObject({ state: 'offline', error: { code: 'authentication_failed', details: { reasonCode } } });
    expect(JSON.stringify(status)).not.toContain('wrong');
    expect(policy.refused).toHaveLength(1);
    expect(policy.refused[0]).toBeInstanceOf(AuthenticationError);
    expect(policy.attempts).toEqual([]);
  });
});

describeWithBinaries(['mosquitto'], 'MQTT over TLS to Mosquitto', () => {
  let broker: MosquittoHandle;
  let pki: TestPki;
  let dir: string;
  let caPath: string;

  beforeAll(async () => {
    pki = createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'amora-tls-'));
    caPath = join(dir, 'ca.pem');
    await writeFile(caPath, pki.caPem);
    await writeFile(join(dir, 'server.pem'), pki.serverCertPem);
    await writeFile(join(dir, 'server.key'), pki.serverKeyPem, { mode: 0o600 });
    broker = await startMosquitto({
      scheme: 'mqtts',
      extraConfig: [`cafile ${join(dir, 'ca.pem')}`, `certfile ${join(dir, 'server.pem')}`, `keyfile ${join(dir, 'server.key')}`].join('\n'),
    });
  });

  afterAll(async () => {
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects with an inline CA and carries a command round trip', async () => {
    const options = { url: broker.url, tls: { ca: pki.caPem }, retry: TEST_RETRY };
    const device = buildMqttInstance<MqttDeviceTransport>(TOKENS.DeviceTransport, options, 'tls-1');
    const controller = buildMqttInstance<ControllerTransport>(TOKENS.ControllerTransport, options);
    const echo = device.commands$.subscribe((command) => {
      const request = JSON.parse(new TextDecoder().decode(command.payload as Uint8Array)) as { command_id: string };
      void device.respond(command, { command_id: request.command_id, command: 'ping', success: true, result: 'pong', timestamp: Date.now() });
    });
    try {
      await device.start(signal());
      await controller.start(signal());
      expect(await controller.invoke('tls-1', 'ping', {}, { timeoutMs: WAIT_MS })).toMatchObject({ success: true, result: 'pong' });
    } finally {
      echo.unsubscribe();
      await controller.stop();
      await device.stop();
    }
  });

  it('reads the CA from a file path through the plugin', async () => {
    const device = buildMqttInstance<MqttDeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, tls: { ca: caPath } }, 'tls-2');
    const statuses = new Recorder(device.status$, WAIT_MS);
    await device.start(signal());
    await statuses.wait('online', (s) => s.state === 'online');
    statuses.stop();
    await device.stop();
    expect(statuses.values.some((s) => s.error !== undefined)).toBe(false);
  });

  it('refuses an unknown CA as a retryable transport error naming the certificate problem', async () => {
    const { status, policy, transport } = await connectOnce({ url: broker.url });
    await transport.stop();
    expect(status).toMatchObject({ state: 'offline', error: { code: 'unavailable' } });
    expect(status.error?.message).toMatch(/certificate/i);
    expect(policy.attempts).toEqual([1]);
  });

  it('retries while its CA file is gone (removed after start) and comes back online once the file returns', async () => {
    const ca = join(dir, 'vanishing-ca.pem');
    await writeFile(ca, pki.caPem);
    const device = buildMqttInstance<MqttDeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, tls: { ca }, retry: TEST_RETRY }, 'tls-3');
    const statuses = new Recorder(device.status$, WAIT_MS);
    try {
      await device.start(signal());
      await statuses.wait('online', (s) => s.state === 'online');
      await rm(ca);
      device.interruptConnection();
      const first = await statuses.next('offline naming tls.ca and the file', missingCaFile);
      expect(first.value.error).toMatchObject({ code: 'config_invalid' });
      // Really retried: another attempt starts and fails the same way.
      const again = await statuses.next('another attempt', (s) => s.state === 'connecting', first.index + 1);
      const secondFailure = await statuses.next('the retry failing on the missing file too', missingCaFile, again.index + 1);
      await writeFile(ca, pki.caPem);
      await statuses.next('online again once the file is back', (s) => s.state === 'online', secondFailure.index + 1);
    } finally {
      statuses.stop();
      await device.stop();
    }
  });
});

describe('test PKI', () => {
  it('issues a server certificate for 127.0.0.1 signed by its CA', () => {
    const { caPem, serverCertPem } = createTestPki();
    expect(caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(serverCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });
});
