import { EventHubConsumerClient, earliestEventPosition, latestEventPosition, type ReceivedEventData, type SubscribeOptions, type Subscription } from '@azure/event-hubs';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import deviceSdk from 'azure-iot-device';
import common from 'azure-iot-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmoraMqtt } from '../../adapters/azure-iot-hub/sdk-mqtt.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';

/**
 * The emulator's Event Hub-compatible endpoint read by the stock `@azure/event-hubs` client, with
 * the connection string `amora emulate azure` prints, used as it is.
 */
describe('Azure IoT Hub emulator: Event Hub-compatible endpoint', () => {
  let hub: AzureIotHubEmulator;
  const clients: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({
      port: 0,
      httpsPort: 0,
      devices: ['eh-1', 'eh-2', 'eh-3', 'eh-4', 'eh-5', 'eh-6', 'eh-7', 'eh-8', 'eh-twin', 'eh-tls'],
      eventHub: { consumerGroups: ['dashboard'] },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await hub.close();
  });

  function consumer(group = '$Default'): EventHubConsumerClient {
    const client = new EventHubConsumerClient(group, hub.eventHub!.connectionString);
    clients.push(client);
    return client;
  }

  async function device(deviceId: string): Promise<InstanceType<typeof deviceSdk.Client>> {
    const client = deviceSdk.Client.fromConnectionString(hub.deviceConnectionString(deviceId), AmoraMqtt);
    client.setRetryPolicy(new common.NoRetry());
    await client.setOptions({ ca: hub.caPem });
    await client.open();
    clients.push(client);
    return client;
  }

  it('describes the hub and its partitions through $management', async () => {
    const client = consumer();
    const properties = await client.getEventHubProperties();
    expect(properties.name).toBe(hub.eventHub!.name);
    expect(properties.partitionIds).toEqual(['0', '1', '2', '3']);
    const partition = await client.getPartitionProperties('2');
    expect(partition).toMatchObject({ partitionId: '2', eventHubName: hub.eventHub!.name });
  });

  it('delivers device-to-cloud messages from every partition with IoT Hub system properties', async () => {
    const received: Received[] = [];
    const subscription = collect(consumer(), received, { startPosition: latestEventPosition });
    await eventually(() => hub.eventHub!.connectionCount >= 1);
    const senders = ['eh-1', 'eh-2', 'eh-3', 'eh-4', 'eh-5', 'eh-6', 'eh-7', 'eh-8'];
    // Events sent before the receivers stand are not "latest": wait until every partition has a link.
    await eventually(() => hub.eventHub!.receiverCount >= 4);
    for (const id of senders) {
      const client = await device(id);
      const message = new deviceSdk.Message(JSON.stringify({ messageType: 'playerStatus', deviceId: id, status: { volume: 5 } }));
      message.contentType = 'application/json';
      message.contentEncoding = 'utf-8';
      message.properties.add('messageType', 'playerStatus');
      await client.sendEvent(message);
    }
    await eventually(() => senders.every((id) => received.some((event) => event.systemProperties?.['iothub-connection-device-id'] === id && event.body?.messageType === 'playerStatus')));
    await subscription.close();
    const first = received.find((event) => event.body?.deviceId === 'eh-1')!;
    expect(first.body).toEqual({ messageType: 'playerStatus', deviceId: 'eh-1', status: { volume: 5 } });
    expect(first.contentType).toBe('application/json');
    expect(first.properties).toMatchObject({ messageType: 'playerStatus' });
    expect(first.systemProperties).toMatchObject({ 'iothub-connection-device-id': 'eh-1', 'iothub-message-source': 'Telemetry' });
    expect(first.systemProperties?.['iothub-enqueuedtime']).toBeTypeOf('number');
    expect(typeof first.sequenceNumber).toBe('number');
    expect(new Set(received.map((event) => event.partitionId)).size).toBeGreaterThan(1);
  });

  /** Routes `count` numbered events of one device (all on its partition); returns their sequence numbers. */
  function publish(deviceId: string, count: number, tag: string): { partitionId: string; sequenceNumbers: number[]; enqueued: number[] } {
    const stored = Array.from({ length: count }, (_, index) =>
      hub.eventHub!.publish({
        deviceId,
        body: Buffer.from(JSON.stringify({ tag, index })),
        contentType: 'application/json',
        properties: { tag },
        annotations: { 'iothub-connection-device-id': deviceId, 'iothub-message-source': 'Telemetry' },
      }),
    );
    return { partitionId: stored[0]!.partitionId, sequenceNumbers: stored.map((event) => event.sequenceNumber), enqueued: stored.map((event) => event.enqueuedTime) };
  }

  it('starts where the position says: earliest, latest, a sequence number (inclusive or not), an enqueued time', async () => {
    const first = publish('eh-positions', 3, 'pos');
    // Two later events, enqueued at a later millisecond than the first three.
    await eventually(() => Date.now() > first.enqueued[2]! + 1);
    const later = publish('eh-positions', 2, 'pos-2');
    const { partitionId } = first;
    const sequenceNumbers = [...first.sequenceNumbers, ...later.sequenceNumbers];
    const client = consumer();
    const read = async (startPosition: SubscribeOptions['startPosition'], expected: number): Promise<number[]> => {
      const received: Received[] = [];
      const subscription = client.subscribe(partitionId, { processEvents: async (events, context) => void received.push(...events.map((event) => ({ ...event, partitionId: context.partitionId }))), processError: async () => undefined }, { startPosition, maxWaitTimeInSeconds: 1 });
      await eventually(() => tagged(received, 'pos').length >= expected);
      await subscription.close();
      return tagged(received, 'pos');
    };
    expect(await read(earliestEventPosition, 5)).toEqual([0, 1, 2, 0, 1]);
    expect(await read({ sequenceNumber: sequenceNumbers[2]! }, 2)).toEqual([0, 1]);
    expect(await read({ sequenceNumber: sequenceNumbers[2]!, isInclusive: true }, 3)).toEqual([2, 0, 1]);
    expect(await read({ enqueuedOn: new Date(first.enqueued[2]!) }, 2)).toEqual([0, 1]);

    const latest: Received[] = [];
    const receivers = hub.eventHub!.receiverCount;
    const subscription = client.subscribe(partitionId, { processEvents: async (events) => void latest.push(...events.map((event) => ({ ...event, partitionId }))), processError: async () => undefined }, { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1 });
    await eventually(() => hub.eventHub!.receiverCount > receivers);
    publish('eh-positions', 1, 'pos-late');
    await eventually(() => tagged(latest, 'pos-late').length === 1);
    await subscription.close();
    expect(tagged(latest, 'pos')).toEqual([0]);
  });

  it('serves a named consumer group with its own position, and refuses an unknown one', async () => {
    const { partitionId } = publish('eh-groups', 3, 'grp');
    const received: Received[] = [];
    const subscription = collect(consumer('dashboard'), received, { startPosition: earliestEventPosition });
    await eventually(() => tagged(received, 'grp').length === 3);
    await subscription.close();
    expect(received.every((event) => event.partitionId === partitionId || event.body?.tag !== 'grp')).toBe(true);

    const errors: Error[] = [];
    const unknown = consumer('no-such-group').subscribe(partitionId, { processEvents: async () => undefined, processError: async (error) => void errors.push(error) }, { startPosition: earliestEventPosition });
    await eventually(() => errors.length > 0);
    await unknown.close();
    expect(errors[0]!.message).toMatch(/consumer group 'no-such-group' could not be found/);
  });

  it('refuses a connection string with a wrong key', async () => {
    const wrong = hub.eventHub!.connectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 9).toString('base64')}`);
    const client = new EventHubConsumerClient('$Default', wrong, { retryOptions: { maxRetries: 0 } });
    clients.push(client);
    await expect(client.getEventHubProperties()).rejects.toThrow(/token is invalid/);
  });

  it('keeps delivering after the server drops every connection: the SDK reconnects and resumes after the last event', async () => {
    const received: Received[] = [];
    publish('eh-drop', 2, 'drop');
    const subscription = collect(consumer(), received, { startPosition: earliestEventPosition });
    await eventually(() => tagged(received, 'drop').length === 2);
    expect(hub.eventHub!.dropConnections()).toBeGreaterThan(0);
    publish('eh-drop', 2, 'drop');
    await eventually(() => tagged(received, 'drop').length === 4);
    await subscription.close();
    expect(tagged(received, 'drop')).toEqual([0, 1, 0, 1]);
  });

  it('serves AMQPS to the stock SDK trusting the emulator CA (NODE_EXTRA_CA_CERTS, as a user backend would)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amora-eventhub-tls-'));
    try {
      const caPath = join(dir, 'ca.pem');
      await writeFile(caPath, hub.caPem);
      publish('eh-tls', 2, 'tls');
      // A separate node: NODE_EXTRA_CA_CERTS is read at process start, and the SDK has no CA option.
      const script = `
        const { EventHubConsumerClient, earliestEventPosition } = require('@azure/event-hubs');
        const client = new EventHubConsumerClient('$Default', process.env.AMORA_EVENTHUB_CONNECTION_STRING);
        const received = [];
        (async () => {
          const { partitionIds } = await client.getEventHubProperties();
          await new Promise((resolve) => {
            client.subscribe({
              processEvents: async (events) => {
                for (const event of events) if (event.body && event.body.tag === 'tls') received.push(event.body.index);
                if (received.length >= 2) resolve();
              },
              processError: async () => undefined,
            }, { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 });
          });
          await client.close();
          console.log(JSON.stringify({ partitionIds, received }));
        })().catch((error) => { console.error(error.message); process.exit(1); });`;
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
        cwd: process.cwd(),
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath, AMORA_EVENTHUB_CONNECTION_STRING: hub.eventHub!.tlsConnectionString! },
      });
      expect(hub.eventHub!.tlsConnectionString).not.toMatch(/UseDevelopmentEmulator/);
      expect(JSON.parse(stdout)).toEqual({ partitionIds: ['0', '1', '2', '3'], received: [0, 1] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('routes twin change events and device connection state events as IoT Hub shapes them', async () => {
    const received: Received[] = [];
    const subscription = collect(consumer(), received, { startPosition: earliestEventPosition });
    const client = await device('eh-twin');
    const twin = await client.getTwin();
    await new Promise<void>((resolve, reject) => twin.properties.reported.update({ volume: 30 }, (error?: Error) => (error ? reject(error) : resolve())));
    await client.close();
    const ofDevice = (source: string): Received[] => received.filter((event) => event.systemProperties?.['iothub-message-source'] === source && event.properties?.['deviceId'] === 'eh-twin');
    await eventually(() => ofDevice('twinChangeEvents').length >= 1 && ofDevice('deviceConnectionStateEvents').length >= 2);
    await subscription.close();
    const change = ofDevice('twinChangeEvents')[0]!;
    expect(change.properties).toMatchObject({ 'iothub-message-schema': 'twinChangeNotification', opType: 'updateTwin', hubName: hub.eventHub!.name });
    expect(change.body).toMatchObject({ properties: { reported: { volume: 30, $version: expect.any(Number) } } });
    const connections = ofDevice('deviceConnectionStateEvents');
    expect(connections.map((event) => event.properties?.['opType'])).toEqual(['deviceConnected', 'deviceDisconnected']);
    expect(connections[0]!.properties).toMatchObject({ 'iothub-message-schema': 'deviceConnectionStateNotification' });
    expect(connections[0]!.body.sequenceNumber < connections[1]!.body.sequenceNumber).toBe(true);
  });
});

/** Collects events of every partition into `into` (with the partition each came from) until the subscription is closed. */
function collect(client: EventHubConsumerClient, into: Received[], options: SubscribeOptions = {}): Subscription {
  return client.subscribe(
    {
      processEvents: async (events, context) => {
        into.push(...events.map((event) => ({ ...event, partitionId: context.partitionId })));
      },
      processError: async () => undefined,
    },
    { maxWaitTimeInSeconds: 1, ...options },
  );
}

/** The indexes of the events whose tag starts with `tag`, in the order received. */
function tagged(received: readonly Received[], tag: string): number[] {
  return received.filter((event) => typeof event.body?.tag === 'string' && (event.body.tag === tag || event.body.tag.startsWith(`${tag}-`))).map((event) => event.body.index as number);
}

type Received = ReceivedEventData & { readonly partitionId: string };

/**
 * Resolves once `condition` holds, checking it as events are processed (every 20 ms); the test's
 * timeout bounds the wait.
 */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
