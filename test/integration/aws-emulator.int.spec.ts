import {
  ConflictException,
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
  type IoTDataPlaneClient,
} from '@aws-sdk/client-iot-data-plane';
import { iotshadow, mqtt } from 'aws-iot-device-sdk-v2';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { blobText, dataPlaneClient, SdkClient } from './aws-support.js';

let emulator: AwsIotEmulator;
let device: SdkClient;
let watcher: SdkClient;
let rest: IoTDataPlaneClient;

beforeAll(async () => {
  emulator = await startAwsIotEmulator();
  device = await SdkClient.connect(emulator, 'emu-device', 'emu-device');
  watcher = await SdkClient.connect(emulator, 'emu-watcher', 'emu-watcher');
  rest = dataPlaneClient(emulator);
});

afterAll(async () => {
  rest?.destroy();
  await device?.disconnect();
  await watcher?.disconnect();
  await emulator?.close();
});

const prefix = (thing: string, name?: string): string => `$aws/things/${thing}/shadow${name ? `/name/${name}` : ''}`;

describe('AWS IoT emulator: Device Shadow over MQTT (aws-iot-device-sdk-v2)', () => {
  it('versions every accepted update, stamps metadata and publishes documents', async () => {
    const thing = 'shadow-versions';
    await watcher.subscribe(`${prefix(thing)}/update/documents`);
    const first = await device.shadowRequest(prefix(thing), 'update', { state: { reported: { volume: 30 } } });
    expect(first).toMatchObject({
      result: 'accepted',
      body: { state: { reported: { volume: 30 } }, metadata: { reported: { volume: { timestamp: expect.any(Number) } } }, version: 1 },
    });
    const second = await device.shadowRequest(prefix(thing), 'update', { state: { reported: { volume: 31 } } });
    expect(second.body['version']).toBe(2);
    const documents = await watcher.nextJson(`${prefix(thing)}/update/documents`, (body) => (body['current'] as { version: number }).version === 2);
    expect(documents).toMatchObject({ previous: { state: { reported: { volume: 30 } }, version: 1 }, current: { state: { reported: { volume: 31 } }, version: 2 } });
    const timestamp = (first.body['timestamp'] as number) * 1000;
    expect(Math.abs(timestamp - Date.now())).toBeLessThan(60_000);
  });

  it('publishes a delta of the desired members reported does not match', async () => {
    const thing = 'shadow-delta';
    await device.subscribe(`${prefix(thing)}/update/delta`);
    await device.shadowRequest(prefix(thing), 'update', { state: { reported: { audio: { volume: 30, device: 'hw:0' }, mode: 'a' } } });
    await watcher.shadowRequest(prefix(thing), 'update', { state: { desired: { audio: { volume: 40, device: 'hw:0' } } } });
    const delta = await device.nextJson(`${prefix(thing)}/update/delta`);
    expect(delta).toMatchObject({ state: { audio: { volume: 40 } }, metadata: { audio: { volume: { timestamp: expect.any(Number) } } }, version: 2 });
    expect(delta['state']).toEqual({ audio: { volume: 40 } });
    const got = await device.shadowRequest(prefix(thing), 'get');
    expect(got.body).toMatchObject({ state: { delta: { audio: { volume: 40 } } }, version: 2 });
  });

  it('answers 409 for a stale version, 400 for malformed requests and 413 over 8 KB, on /rejected', async () => {
    const thing = 'shadow-errors';
    await device.shadowRequest(prefix(thing), 'update', { state: { reported: { a: 1 } } });
    expect(await device.shadowRequest(prefix(thing), 'update', { state: { reported: { a: 2 } }, version: 0 })).toMatchObject({
      result: 'rejected',
      body: { code: 409, message: 'Version conflict', timestamp: expect.any(Number) },
    });
    expect(await device.shadowRequest(prefix(thing), 'update', { version: 1 })).toMatchObject({
      result: 'rejected',
      body: { code: 400, message: 'Missing required node: state' },
    });
    expect(await device.shadowRequest(prefix(thing), 'update', { state: { reported: { blob: 'x'.repeat(9000) } } })).toMatchObject({
      result: 'rejected',
      body: { code: 413 },
    });
    await device.subscribe(`${prefix(thing)}/update/rejected`);
    const mark = device.received.length;
    await device.publish(`${prefix(thing)}/update`, '{not json');
    expect(await device.nextJson(`${prefix(thing)}/update/rejected`, () => true, mark)).toMatchObject({ code: 400, message: 'Invalid JSON' });
    expect(await device.shadowRequest(prefix(thing), 'get')).toMatchObject({ body: { state: { reported: { a: 1 } }, version: 1 } });
  });

  it('deletes a shadow, keeps its version and answers 404 after', async () => {
    const thing = 'shadow-delete';
    await device.shadowRequest(prefix(thing), 'update', { state: { reported: { a: 1 } } });
    expect(await device.shadowRequest(prefix(thing), 'delete')).toMatchObject({ result: 'accepted', body: { version: 1 } });
    expect(await device.shadowRequest(prefix(thing), 'get')).toMatchObject({ result: 'rejected', body: { code: 404 } });
    expect(await device.shadowRequest(prefix(thing), 'update', { state: { reported: { a: 2 } } })).toMatchObject({ body: { version: 2 } });
  });

  it("serves named shadows to the SDK's own IotShadowClient", async () => {
    const client = new iotshadow.IotShadowClient(device.connection);
    const thingName = 'emu-device';
    const shadowName = 'settings';
    const accepted = new Promise<iotshadow.model.UpdateShadowResponse | undefined>((resolve) => {
      void client.subscribeToUpdateNamedShadowAccepted({ thingName, shadowName }, mqtt.QoS.AtLeastOnce, (_error, response) => resolve(response));
    });
    const got = new Promise<iotshadow.model.GetShadowResponse | undefined>((resolve) => {
      void client.subscribeToGetNamedShadowAccepted({ thingName, shadowName }, mqtt.QoS.AtLeastOnce, (_error, response) => resolve(response));
    });
    await client.publishUpdateNamedShadow({ thingName, shadowName, state: { desired: { eq: 'flat' } }, clientToken: 'named-1' }, mqtt.QoS.AtLeastOnce);
    expect(await accepted).toMatchObject({ state: { desired: { eq: 'flat' } }, version: 1, clientToken: 'named-1' });
    await client.publishGetNamedShadow({ thingName, shadowName }, mqtt.QoS.AtLeastOnce);
    expect(await got).toMatchObject({ state: { desired: { eq: 'flat' }, delta: { eq: 'flat' } }, version: 1 });
    expect(await device.shadowRequest(prefix(thingName), 'get')).toMatchObject({ result: 'rejected', body: { code: 404 } });
  });

  it('publishes presence events with a disconnect reason', async () => {
    await watcher.subscribe('$aws/events/presence/+/emu-presence');
    const client = await SdkClient.connect(emulator, 'emu-presence', 'emu-presence');
    expect(await watcher.nextJson('$aws/events/presence/connected/emu-presence')).toMatchObject({ clientId: 'emu-presence', eventType: 'connected' });
    await client.disconnect();
    expect(await watcher.nextJson('$aws/events/presence/disconnected/emu-presence')).toMatchObject({
      eventType: 'disconnected',
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
    });
  });

  it('closes the connection of a client that publishes to a reserved topic, as AWS IoT does', async () => {
    const client = await SdkClient.connect(emulator, 'emu-rogue', 'emu-rogue');
    const interrupted = new Promise<string>((resolve) => client.connection.on('interrupt', (error) => resolve(String(error))));
    void client.publish('$aws/things/emu-device/shadow/update/accepted', { state: {} }).catch(() => undefined);
    expect(await interrupted).toMatch(/AWS_/);
    await client.disconnect();
  });

  it('refuses a certificate that is signed by its CA but not registered, at CONNECT', async () => {
    await emulator.createThing('emu-revoked');
    emulator.setCertificateActive('emu-revoked', false);
    await expect(SdkClient.connect(emulator, 'emu-revoked')).rejects.toMatch(/Failed to connect/);
    emulator.setCertificateActive('emu-revoked', true);
  });
});

describe('AWS IoT emulator: data-plane REST (@aws-sdk/client-iot-data-plane)', () => {
  it('updates a shadow over REST and notifies MQTT subscribers the same way', async () => {
    const thing = 'rest-update';
    await device.subscribe(`${prefix(thing)}/update/accepted`, `${prefix(thing)}/update/delta`);
    const response = await rest.send(new UpdateThingShadowCommand({ thingName: thing, payload: JSON.stringify({ state: { desired: { volume: 40 } }, clientToken: 'r1' }) }));
    expect(JSON.parse(blobText(response.payload))).toMatchObject({ state: { desired: { volume: 40 } }, version: 1, clientToken: 'r1' });
    expect(await device.nextJson(`${prefix(thing)}/update/accepted`)).toMatchObject({ version: 1, clientToken: 'r1' });
    expect(await device.nextJson(`${prefix(thing)}/update/delta`)).toMatchObject({ state: { volume: 40 }, version: 1 });

    const got = await rest.send(new GetThingShadowCommand({ thingName: thing }));
    expect(JSON.parse(blobText(got.payload))).toMatchObject({ state: { desired: { volume: 40 }, delta: { volume: 40 } }, version: 1 });
  });

  it('maps 404, 409 and 413 to the SDK exceptions', async () => {
    const thing = 'rest-errors';
    await expect(rest.send(new GetThingShadowCommand({ thingName: thing }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await rest.send(new UpdateThingShadowCommand({ thingName: thing, payload: JSON.stringify({ state: { reported: { a: 1 } } }) }));
    await expect(
      rest.send(new UpdateThingShadowCommand({ thingName: thing, payload: JSON.stringify({ state: { reported: { a: 2 } }, version: 7 }) })),
    ).rejects.toBeInstanceOf(ConflictException);
    await expect(
      rest.send(new UpdateThingShadowCommand({ thingName: thing, payload: JSON.stringify({ state: { reported: { b: 'x'.repeat(9000) } } }) })),
    ).rejects.toBeInstanceOf(RequestEntityTooLargeException);
  });

  it('lists and deletes named shadows', async () => {
    const thing = 'rest-named';
    for (const shadowName of ['b-audio', 'a-config']) {
      await rest.send(new UpdateThingShadowCommand({ thingName: thing, shadowName, payload: JSON.stringify({ state: { reported: { x: 1 } } }) }));
    }
    expect((await rest.send(new ListNamedShadowsForThingCommand({ thingName: thing }))).results).toEqual(['a-config', 'b-audio']);
    const deleted = await rest.send(new DeleteThingShadowCommand({ thingName: thing, shadowName: 'a-config' }));
    expect(JSON.parse(blobText(deleted.payload))).toMatchObject({ version: 1 });
    expect((await rest.send(new ListNamedShadowsForThingCommand({ thingName: thing }))).results).toEqual(['b-audio']);
  });

  it('publishes to MQTT subscribers with the Publish API', async () => {
    await device.subscribe('amora/devices/emu-device/commands');
    await rest.send(new PublishCommand({ topic: 'amora/devices/emu-device/commands', qos: 1, payload: JSON.stringify({ command: 'play', command_id: 'p1' }) }));
    expect(await device.nextJson('amora/devices/emu-device/commands')).toEqual({ command: 'play', command_id: 'p1' });
  });

  it('refuses a request without a SigV4 signature for the IoT data service', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const call = request(`${emulator.httpsEndpoint}/things/x/shadow`, { ca: emulator.caPem }, (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      call.on('error', reject);
      call.end();
    });
    expect(status).toBe(403);
  });
});
