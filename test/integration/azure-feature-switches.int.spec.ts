import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureIotHubEmulator, type AzureIotHubEmulator, type ReportedPatch } from '../../adapters/azure-iot-hub/emulator/index.js';
import type { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import { waitFor } from '../support/wait-for.js';
import { azureDevice, serviceSdk, statusIs } from './azure-support.js';

// AmoraOS `iot.enable_direct_methods: false` / `iot.enable_device_twin: false` (the transport's
// directMethods / twin options): the feature stays off, telemetry still flows. Real device SDK.
describe('Azure IoT Hub with direct methods and the twin switched off (emulator)', () => {
  let hub: AzureIotHubEmulator;
  let device: AzureIotHubDeviceTransport;
  const patches: ReportedPatch[] = [];

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['quiet-player'] });
    hub.devices.reportedPatches$.subscribe((patch) => patches.push(patch));
    device = azureDevice(hub, 'quiet-player', { directMethods: false, twin: false });
    await device.start(new AbortController().signal);
    await statusIs(device.status$, 'online');
  });

  afterAll(async () => {
    await device?.stop();
    await hub?.close();
  });

  it('neither answers methods nor touches the twin, and still sends telemetry', async () => {
    const { client } = serviceSdk(hub);
    const failure = await client
      .invokeDeviceMethod('quiet-player', { methodName: 'play', payload: {}, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 0 })
      .then(() => undefined, (error: { response?: { statusCode?: number } }) => error);
    expect(failure?.response?.statusCode).toBe(404);

    await device.publishState({ state: { audio: { volume: 10 } }, version: 1, timestamp: Date.now(), metadata: {} }, { audio: { volume: 10 } });
    const sent = waitFor(hub.devices.telemetry$, (message) => message.deviceId === 'quiet-player');
    await device.publishTelemetry({ kind: 'metrics', records: [{ kind: 'metrics', data: { n: 1 }, timestamp: 1 }] });
    await sent;
    expect(patches.filter((patch) => patch.deviceId === 'quiet-player')).toEqual([]);
    const twin = (await serviceSdk(hub).registry.getTwin('quiet-player')).responseBody as unknown as { properties: { reported: Record<string, unknown> } };
    expect(twin.properties.reported).not.toHaveProperty('audio');
  });
});
