import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions } from '../../adapters/aws-iot/options.js';
import { AzureIotHubControllerTransport } from '../../adapters/azure-iot-hub/controller-transport.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { parseAzureIotHubOptions } from '../../adapters/azure-iot-hub/options.js';
import { ExponentialBackoffRetryPolicy, type ConnectionStatus, type StateSnapshot } from '../../core/index.js';
import { WsHubControllerTransport, WsHubDeviceTransport, startWsHub, wsHubOptionsSchema, type WsHubServer } from '../../plugins/template/index.js';
import { freePort } from '../support/free-port.js';
import { SdkClient } from './aws-support.js';
import { ensureCliBuilt } from './cli-build.js';
import { runCli, spawnCli } from './cli-process.js';

/**
 * Defect: a device that boots before its network gave up for good (Azure reported an unreachable
 * hub as refused credentials and `amora agent` exited 5). Here the hub, emulator or broker is
 * started only after the agent, on the port the agent already tries; the agent must come online
 * and publish its state. A real refusal still ends `amora agent` with exit 5.
 */

const WAIT_MS = 30_000;
const quickRetry = new ExponentialBackoffRetryPolicy({ initialMs: 100, maxMs: 500 });

function statusWhere(status$: import('rxjs').Observable<ConnectionStatus>, predicate: (status: ConnectionStatus) => boolean): Promise<ConnectionStatus> {
  return firstValueFrom(status$.pipe(filter(predicate), timeout(WAIT_MS)));
}

function snapshot(state: StateSnapshot['state']): StateSnapshot {
  return { state, version: 1, timestamp: Date.now(), metadata: {} };
}

describe('boot before the network', () => {
  let dir: string;
  const cleanup: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-boot-'));
    await ensureCliBuilt();
  }, 120_000);

  afterAll(async () => {
    for (const step of cleanup.toReversed()) await step().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  describe('azure-iot-hub through `amora agent`', () => {
    let hub: AzureIotHubEmulator | undefined;
    const hubOptions = async (): Promise<Parameters<typeof startAzureIotHubEmulator>[0]> => ({
      port: mqttPort,
      httpsPort,
      certDir: join(dir, 'azure-certs'),
      stateFile: join(dir, 'azure-state.json'),
      devices: ['boot-az'],
    });
    let mqttPort = 0;
    let httpsPort = 0;

    beforeAll(async () => {
      [mqttPort, httpsPort] = [await freePort(), await freePort()];
      // Once to create the CA and the device identity, then down: the agent starts with no hub.
      hub = await startAzureIotHubEmulator(await hubOptions());
      await hub.close();
    }, 60_000);
    afterAll(async () => {
      await hub?.close();
    });

    it('keeps retrying an unreachable hub at boot (no exit 5), comes online when it appears and reports its state', async () => {
      const connectionString = hub!.deviceConnectionString('boot-az');
      const file = join(dir, 'azure.yaml');
      await writeFile(
        file,
        [
          'device: { id: boot-az }',
          'player: { kind: virtual }',
          'transports:',
          '  - kind: azure-iot-hub',
          `    connectionString: "${connectionString}"`,
          `    ca: ${join(dir, 'azure-certs', 'ca.pem')}`,
          '    retry: { initialMs: 100, maxMs: 500 }',
          '',
        ].join('\n'),
      );
      const agent = spawnCli(['agent', '--config', file]);
      cleanup.push(() => agent.kill());
      const offline = await agent.stderrLine((line) => line.includes('is offline; retrying'));
      expect(offline).toContain('ECONNREFUSED');
      expect(offline).not.toContain('authentication_failed');

      hub = await startAzureIotHubEmulator(await hubOptions());
      await agent.stderrLine((line) => line.includes('is online again'));
      const controller = new AzureIotHubControllerTransport(
        parseAzureIotHubOptions({ serviceConnectionString: hub.serviceConnectionString, ca: hub.caPem, refreshIntervalMs: 100 }),
        'azure-iot-hub',
        undefined,
        undefined,
        undefined,
      );
      cleanup.push(() => controller.stop());
      await controller.start(new AbortController().signal);
      const state = await firstValueFrom(controller.state$('boot-az').pipe(filter((message) => 'playback' in message.state), timeout(WAIT_MS)));
      expect(state.device_id).toBe('boot-az');
      const exit = await agent.stop('SIGTERM');
      expect(exit.code).toBe(0);
    }, 90_000);

    it('still exits 5 when the hub refuses the key', async () => {
      const good = hub!.deviceConnectionString('boot-az');
      const wrong = good.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.from('not the key at all, not at all!').toString('base64')}`);
      const file = join(dir, 'azure-refused.yaml');
      await writeFile(
        file,
        ['device: { id: boot-az }', 'player: { kind: virtual }', 'transports:', '  - kind: azure-iot-hub', `    connectionString: "${wrong}"`, `    ca: ${join(dir, 'azure-certs', 'ca.pem')}`, ''].join('\n'),
      );
      const result = await runCli(['agent', '--config', file]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('every transport refused the credentials');
    }, 60_000);
  });

  it('aws-iot: retries an endpoint that is not up yet and comes online when it starts', async () => {
    const certDir = join(dir, 'aws-certs');
    const ports = { mqttPort: await freePort(), httpsPort: await freePort() };
    let emulator: AwsIotEmulator = await startAwsIotEmulator({ ...ports, certDir });
    const credentials = await emulator.createThing('boot-aws');
    const caPath = emulator.caPath;
    await emulator.close();

    const options = parseAwsIotOptions({ endpoint: emulator.endpoint, port: ports.mqttPort, certPath: credentials.certPath, keyPath: credentials.keyPath, caPath, operationTimeoutMs: 5_000 });
    const device = new AwsIotDeviceTransport(options, 'aws-iot', 'boot-aws', undefined, quickRetry, undefined);
    cleanup.push(() => device.stop());
    await device.start(new AbortController().signal);
    const refused = await statusWhere(device.status$, (status) => status.state === 'offline' && status.error !== undefined);
    expect(refused.error?.code).not.toBe('authentication_failed');
    await device.publishState(snapshot({ power: 'on' }), { power: 'on' });

    emulator = await startAwsIotEmulator({ ...ports, certDir });
    cleanup.push(() => emulator.close());
    await statusWhere(device.status$, (status) => status.state === 'online');
    const probe = await SdkClient.connect(emulator, 'boot-probe');
    cleanup.push(() => probe.disconnect());
    const shadow = await probe.shadowRequest('$aws/things/boot-aws/shadow', 'get');
    expect(shadow).toMatchObject({ result: 'accepted', body: { state: { reported: { power: 'on' } } } });
  }, 90_000);

  it('ws-hub (template plugin): retries a hub that is not up yet and comes online when it starts', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const device = new WsHubDeviceTransport(wsHubOptionsSchema.parse({ url }), 'ws-hub', 'boot-ws', undefined, quickRetry, undefined);
    cleanup.push(() => device.stop());
    await device.start(new AbortController().signal);
    const refused = await statusWhere(device.status$, (status) => status.state === 'offline' && status.error !== undefined);
    expect(refused.error).toMatchObject({ code: 'unavailable' });
    await device.publishState(snapshot({ power: 'on' }), { power: 'on' });

    const server: WsHubServer = await startWsHub({ port });
    cleanup.push(() => server.close());
    await statusWhere(device.status$, (status) => status.state === 'online');
    const controller = new WsHubControllerTransport(wsHubOptionsSchema.parse({ url }), 'ws-hub', undefined, quickRetry, undefined);
    cleanup.push(() => controller.stop());
    await controller.start(new AbortController().signal);
    const state = await firstValueFrom(controller.state$('boot-ws').pipe(timeout(WAIT_MS)));
    expect(state.state).toEqual({ power: 'on' });
  }, 60_000);
});
