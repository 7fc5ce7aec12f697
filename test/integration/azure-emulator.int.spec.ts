import { firstValueFrom, filter } from 'rxjs';
import deviceSdk from 'azure-iot-device';
import common from 'azure-iot-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmoraMqtt, AmoraMqttWs } from '../../adapters/azure-iot-hub/sdk-mqtt.js';
import { createSasToken } from '../../adapters/azure-iot-hub/sas.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { serviceSdk } from './azure-support.js';

/** The emulator against the unmodified vendor SDKs over real TLS. */
describe('Azure IoT Hub emulator with the real SDKs', () => {
  let hub: AzureIotHubEmulator;
  const opened: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['sdk-1', 'sdk-2'] });
  });
  afterAll(async () => {
    await Promise.all(opened.map((client) => client.close().catch(() => undefined)));
    await hub.close();
  });

  function deviceClient(deviceId: string, websocket = false): InstanceType<typeof deviceSdk.Client> {
    const client = deviceSdk.Client.fromConnectionString(hub.deviceConnectionString(deviceId, { websocket }), websocket ? AmoraMqttWs : AmoraMqtt);
    client.setRetryPolicy(new common.NoRetry());
    opened.push(client);
    return client;
  }

  it('accepts a device with its SAS key over MQTT and over WebSocket', async () => {
    for (const websocket of [false, true]) {
      const client = deviceClient('sdk-1', websocket);
      await client.setOptions({ ca: hub.caPem });
      await client.open();
      expect(hub.devices.isConnected('sdk-1')).toBe(true);
      await client.close();
    }
  });

  it('refuses a wrong key and an expired token', async () => {
    const wrong = deviceSdk.Client.fromConnectionString(
      hub.deviceConnectionString('sdk-2').replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`),
      AmoraMqtt,
    );
    wrong.setRetryPolicy(new common.NoRetry());
    await wrong.setOptions({ ca: hub.caPem });
    await expect(wrong.open()).rejects.toThrow(/Not authorized/);

    const key = hub.registry.getDevice('sdk-2')!.primaryKey!;
    const host = `localhost:${hub.mqttPort}`;
    const expired = createSasToken({ resource: `${host}/devices/sdk-2`, key, expiresAt: Math.floor(Date.now() / 1000) - 10 });
    const stale = deviceSdk.Client.fromSharedAccessSignature(expired, AmoraMqtt);
    stale.setRetryPolicy(new common.NoRetry());
    await stale.setOptions({ ca: hub.caPem });
    await expect(stale.open()).rejects.toThrow(/Not authorized/);
  });

  it('serves twins and direct methods to azure-iothub', async () => {
    const device = deviceClient('sdk-1');
    await device.setOptions({ ca: hub.caPem });
    await device.open();
    device.onDeviceMethod('echo', (request, response) => {
      void response.send(200, { echoed: request.payload });
    });
    const twin = await device.getTwin();
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ audio: { volume: 30 } }, (error?: Error) => (error ? reject(error) : resolve())));

    const { client, registry } = serviceSdk(hub);
    const { responseBody: serviceTwin } = await registry.getTwin('sdk-1');
    expect(serviceTwin.properties.reported['audio']).toEqual({ volume: 30 });

    // The SDK's Twin first replays the whole desired section it fetched, then each patch.
    const desired = new Promise<unknown>((resolve) =>
      twin.on('properties.desired', (patch: { audio?: unknown }) => {
        if (patch.audio) resolve(patch);
      }),
    );
    await hub.devices.whenSubscribed('sdk-1', 'desired');
    await registry.updateTwin('sdk-1', { properties: { desired: { audio: { volume: 40 } } } }, serviceTwin.etag);
    await expect(desired).resolves.toMatchObject({ audio: { volume: 40 } });

    const { result } = await client.invokeDeviceMethod('sdk-1', { methodName: 'echo', payload: { a: 1 }, responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { echoed: { a: 1 } } });

    const message = firstValueFrom(hub.devices.telemetry$.pipe(filter((m) => m.deviceId === 'sdk-1')));
    const event = new deviceSdk.Message(JSON.stringify({ hello: 1 }));
    event.contentType = 'application/json';
    event.contentEncoding = 'utf-8';
    event.properties.add('messageType', 'playerStatus');
    await device.sendEvent(event);
    expect(await message).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', properties: { messageType: 'playerStatus' } });
  });
});
