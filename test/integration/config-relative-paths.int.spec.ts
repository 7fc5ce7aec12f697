import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, from, map, timeout, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import type { LoadedConfig } from '../../core/config/parse.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { createTestPki } from '../support/test-pki.js';
import { SdkClient } from './aws-support.js';

// Relative certificate paths in a config file are read from the file's directory: each config
// here lives in its own temp directory, never the working directory, and names its files relative
// to itself. Before, every adapter read them from the working directory (ENOENT). Each test waits
// for evidence at the far end, or for the transport's error in the agent's health, whichever comes
// first, so a failure shows the error instead of a timeout.

const SAFETY_MS = 20_000;

async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `amora-${name}-`));
  await mkdir(join(dir, 'certs'));
  return dir;
}

/** Writes `yaml` as agent.yaml in `dir` and loads it as `amora agent --config` does. */
async function loadFrom(dir: string, yaml: string, env: Record<string, string> = {}): Promise<LoadedConfig> {
  expect(process.cwd()).not.toBe(dir);
  const file = join(dir, 'agent.yaml');
  await writeFile(file, yaml);
  return loadConfigFile(file, env);
}

/** 'connected' once `evidence` emits, or the transport's error message if the agent's health shows one first. */
function connectedOrError(agent: Agent, transportId: string, evidence: Observable<unknown>): Promise<string> {
  const failure = agent.health$.pipe(
    map(({ components }) => components[transportId]?.error?.message),
    filter((message): message is string => message !== undefined),
  );
  return Promise.race([firstValueFrom(evidence.pipe(map(() => 'connected'))), firstValueFrom(failure)]);
}

function within<T>(source: Observable<T>): Observable<T> {
  return source.pipe(timeout(SAFETY_MS));
}

describeWithBinaries(['mosquitto'], 'mqtt tls.ca relative to the config file', () => {
  const DEVICE = 'paths-mqtt';
  let broker: MosquittoHandle;
  let dir: string;

  beforeAll(async () => {
    const pki = createTestPki();
    dir = await tempDir('mqtt-paths');
    await writeFile(join(dir, 'certs', 'ca.pem'), pki.caPem);
    await writeFile(join(dir, 'server.pem'), pki.serverCertPem);
    await writeFile(join(dir, 'server.key'), pki.serverKeyPem, { mode: 0o600 });
    broker = await startMosquitto({
      scheme: 'mqtts',
      extraConfig: [`cafile ${join(dir, 'certs', 'ca.pem')}`, `certfile ${join(dir, 'server.pem')}`, `keyfile ${join(dir, 'server.key')}`].join('\n'),
    });
  });

  afterAll(async () => {
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('device and controller connect over TLS with the CA named ./certs/ca.pem', async () => {
    const config = await loadFrom(dir, `device: { id: ${DEVICE} }\ntransports:\n  - kind: mqtt\n    url: ${broker.url}\n    tls: { ca: ./certs/ca.pem }\n`);
    const agent = await buildAgent(config, createBuiltinRegistry());
    const controller = await buildController(config, createBuiltinRegistry());
    try {
      await agent.start();
      await controller.start(new AbortController().signal);
      // The device's retained state, seen by a controller that trusted the same relative CA.
      expect(await connectedOrError(agent, 'mqtt', within(controller.state$(DEVICE)))).toBe('connected');
    } finally {
      await controller.stop();
      await agent.stop();
    }
  });
});

describe('azure-iot-hub ca relative to the config file', () => {
  const DEVICE = 'paths-azure';
  let hub: AzureIotHubEmulator;
  let dir: string;

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: [DEVICE] });
    dir = await tempDir('azure-paths');
    await writeFile(join(dir, 'certs', 'hub-ca.pem'), hub.caPem);
  });

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects to the hub trusting certs/hub-ca.pem', async () => {
    const yaml = `device: { id: ${DEVICE} }\ntransports:\n  - kind: azure-iot-hub\n    connectionString: \${CS}\n    ca: certs/hub-ca.pem\n`;
    const agent = await buildAgent(await loadFrom(dir, yaml, { CS: hub.deviceConnectionString(DEVICE) }), createBuiltinRegistry());
    const connected = within(hub.devices.connections$.pipe(filter((event) => event.deviceId === DEVICE && event.connected)));
    try {
      const outcome = connectedOrError(agent, 'azure-iot-hub', connected);
      await agent.start();
      expect(await outcome).toBe('connected');
    } finally {
      await agent.stop();
    }
  });
});

describe('aws-iot certPath, keyPath and caPath relative to the config file', () => {
  const THING = 'paths-aws';
  let emulator: AwsIotEmulator;
  let probe: SdkClient;
  let dir: string;

  beforeAll(async () => {
    emulator = await startAwsIotEmulator({ things: [THING] });
    const credentials = await emulator.createThing(THING);
    dir = await tempDir('aws-paths');
    await copyFile(credentials.certPath, join(dir, 'certs', 'device.pem.crt'));
    await copyFile(credentials.keyPath, join(dir, 'certs', 'private.pem.key'));
    await copyFile(emulator.caPath, join(dir, 'certs', 'AmazonRootCA1.pem'));
    probe = await SdkClient.connect(emulator, THING);
    await probe.subscribe(`amora/devices/${THING}/connection`);
  });

  afterAll(async () => {
    await probe?.disconnect();
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects with the certificate, key and CA named relative to the file', async () => {
    const yaml = [
      `device: { id: ${THING} }`,
      'transports:',
      '  - kind: aws-iot',
      `    endpoint: ${emulator.endpoint}`,
      `    port: ${emulator.mqttPort}`,
      '    certPath: certs/device.pem.crt',
      '    keyPath: ./certs/private.pem.key',
      '    caPath: certs/AmazonRootCA1.pem',
      '',
    ].join('\n');
    const agent = await buildAgent(await loadFrom(dir, yaml), createBuiltinRegistry());
    try {
      await agent.start();
      const online = probe.nextJson(`amora/devices/${THING}/connection`, (body) => body['status'] === 'online');
      expect(await connectedOrError(agent, 'aws-iot', within(from(online)))).toBe('connected');
    } finally {
      await agent.stop();
    }
  });
});
