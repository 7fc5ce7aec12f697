import { EventHubConsumerClient, earliestEventPosition, latestEventPosition, type ReceivedEventData, type SubscribeOptions, type Subscription } from '@azure/event-hubs';
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
      devices: ['eh-1', 'eh-2', 'eh-3', 'eh-4', 'eh-5', 'eh-6', 'eh-7', 'eh-8'],
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
});

type Received = ReceivedEventData & { readonly partitionId: string };

/**
 * Resolves once `condition` holds, checking it as events are processed (every 20 ms); the test's
 * timeout bounds the wait.
 */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
void earliestEventPosition;
