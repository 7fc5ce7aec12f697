import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { azureDevice, statusIs } from './azure-support.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

/** Matches a `--json` state line showing `volume`. */
const state = (volume: number) => (line: string) => line.includes('"type":"state"') && line.includes(`"volume":${volume}`);

/**
 * `amora watch -c <azure config> --eventhub <cs>`: the CLI's Azure controller in push mode. The
 * config polls every ten minutes, so the changes printed here can only have come by push.
 */
describe('amora watch --eventhub on an azure-iot-hub config', () => {
  let hub: AzureIotHubEmulator;
  let dir: string;
  let device: AzureIotHubDeviceTransport;
  let watch: CliProcess | undefined;

  beforeAll(async () => {
    await ensureCliBuilt();
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['watch-1', 'watch-2'] });
    dir = await mkdtemp(join(tmpdir(), 'amora-watch-push-'));
    await writeFile(join(dir, 'ca.pem'), hub.caPem);
    await writeFile(
      join(dir, 'controller.yaml'),
      ['device:', '  id: amora-cli', 'transports:', '  - kind: azure-iot-hub', `    ca: ${join(dir, 'ca.pem')}`, '    refreshIntervalMs: 600000', ''].join('\n'),
    );
    device = azureDevice(hub, 'watch-1');
    await device.start(new AbortController().signal);
    await statusIs(device.status$, 'online');
  });
  afterAll(async () => {
    await watch?.kill();
    await device?.stop();
    await hub?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints each reported change as it happens', async () => {
    await device.publishState({ state: { audio: { volume: 1 } }, version: 1, timestamp: Date.now(), metadata: {} }, {});
    watch = spawnCli(['watch', 'watch-1', '--json', '-c', join(dir, 'controller.yaml'), '--eventhub', hub.eventHub!.connectionString], {
      AMORA_SERVICE_CONNECTION_STRING: hub.serviceConnectionString,
    });
    await watch.stdoutLine(state(1));
    await device.publishState({ state: { audio: { volume: 2 } }, version: 2, timestamp: Date.now(), metadata: {} }, {});
    expect(JSON.parse(await watch.stdoutLine(state(2)))).toMatchObject({ type: 'state', device_id: 'watch-1', state: { audio: { volume: 2 } }, changed: { audio: { volume: 2 } } });
  });

  it('watches the whole fleet through the one Event Hub reader: each twin first, then the changes', async () => {
    await watch?.kill();
    const second = azureDevice(hub, 'watch-2');
    await second.start(new AbortController().signal);
    try {
      await statusIs(second.status$, 'online');
      await second.publishState({ state: { audio: { volume: 20 } }, version: 1, timestamp: Date.now(), metadata: {} }, {});
      watch = spawnCli(['watch', '--json', '-c', join(dir, 'controller.yaml'), '--eventhub', hub.eventHub!.connectionString], {
        AMORA_SERVICE_CONNECTION_STRING: hub.serviceConnectionString,
      });
      // Both seeds, from the twins (watch-1 last reported volume 2 in the test above).
      await Promise.all([watch.stdoutLine(state(2)), watch.stdoutLine(state(20))]);
      await watch.stdoutLine((line) => line.includes('"type":"connection"') && line.includes('"device_id":"watch-2"') && line.includes('"online"'));
      await second.publishState({ state: { audio: { volume: 21 } }, version: 2, timestamp: Date.now(), metadata: {} }, {});
      expect(JSON.parse(await watch.stdoutLine(state(21)))).toMatchObject({ type: 'state', device_id: 'watch-2', changed: { audio: { volume: 21 } } });
    } finally {
      await second.stop();
    }
  });
});
