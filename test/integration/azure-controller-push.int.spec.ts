import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../core/state/json.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import { AzureIotHubControllerTransport } from '../../adapters/azure-iot-hub/controller-transport.js';
import type { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { parseAzureIotHubOptions } from '../../adapters/azure-iot-hub/options.js';
import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { azureDevice, next, statusIs } from './azure-support.js';

/**
 * The Azure controller in push mode: `state$`, `connection$` and `devices$` moved by the events the
 * emulator routes to its Event Hub-compatible endpoint, read with the stock `@azure/event-hubs`,
 * while the device is the real azure-iot-device SDK under the Azure device transport. The
 * controllers poll once a minute, so only the push path can deliver within these tests.
 */
describe('Azure controller, push mode over the Event Hub endpoint', () => {
  let hub: AzureIotHubEmulator;
  const running: { stop(): Promise<unknown> }[] = [];
  let version = 0;
  const snapshot = (state: JsonObject) => ({ state, version: ++version, timestamp: Date.now(), metadata: {} });

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['push-1', 'push-2', 'push-3', 'push-4', 'push-tls', 'push-drop'] });
  });
  afterAll(async () => {
    await Promise.all(running.map((item) => item.stop().catch(() => undefined)));
    await hub?.close();
  });

  async function controller(overlapMs = 60_000, eventHubConnectionString = hub.eventHub!.connectionString, eventHubConsumerGroup = '$Default'): Promise<AzureIotHubControllerTransport> {
    const transport = new AzureIotHubControllerTransport(
      parseAzureIotHubOptions({
        eventHubConsumerGroup,
        serviceConnectionString: hub.serviceConnectionString,
        ca: hub.caPem,
        refreshIntervalMs: 60_000,
        eventHubConnectionString,
        eventHubResumeOverlapMs: overlapMs,
      }),
      'azure-iot-hub',
      undefined,
      // Fast retries: the tests wait on events, never on time.
      new ExponentialBackoffRetryPolicy({ initialMs: 20, maxMs: 200 }),
      undefined,
    );
    running.push(transport);
    await transport.start(new AbortController().signal);
    expect(transport.pushMode).toBe(true);
    return transport;
  }

  async function device(deviceId: string): Promise<AzureIotHubDeviceTransport> {
    const transport = azureDevice(hub, deviceId);
    running.push(transport);
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    return transport;
  }

  it('pushes reported changes after one twin read, in $version order', async () => {
    const agent = await device('push-1');
    await agent.publishState(snapshot({ audio: { volume: 10 } }), {});
    const ctl = await controller();
    const seeded = await next(ctl.state$('push-1'));
    expect(seeded.state).toEqual({ audio: { volume: 10 } });
    const changed = next(ctl.state$('push-1'), (message) => message.version > seeded.version);
    await agent.publishState(snapshot({ audio: { volume: 20 }, playback: { status: 'playing' } }), {});
    expect(await changed).toMatchObject({ device_id: 'push-1', state: { audio: { volume: 20 }, playback: { status: 'playing' } }, version: seeded.version + 1 });
  });

  it('pushes connection changes and new devices', async () => {
    const ctl = await controller();
    await device('push-2');
    expect(await next(ctl.connection$('push-2'), (presence) => presence !== 'unknown')).toBe('online');
    const offline = next(ctl.connection$('push-2'), (presence) => presence === 'offline');
    const listed = next(ctl.devices$(), (devices) => devices.some((entry) => entry.deviceId === 'push-3' && entry.presence === 'online'));
    hub.devices.disconnect('push-2');
    expect(await offline).toBe('offline');
    // The transport reconnects by itself (fast retry policy): online again, from the next event.
    expect(await next(ctl.connection$('push-2'), (presence) => presence === 'online')).toBe('online');
    await device('push-3');
    expect((await listed).find((entry) => entry.deviceId === 'push-3')).toEqual({ deviceId: 'push-3', presence: 'online' });
  });

  it('after a restart, replays the overlap without showing a stale state as current', async () => {
    const agent = await device('push-4');
    await agent.publishState(snapshot({ audio: { volume: 20 } }), {});
    const first = await controller();
    const before = await next(first.state$('push-4'));
    await first.stop();
    // Changes while no controller runs; the next one reads them again from the overlap.
    await agent.publishState(snapshot({ audio: { volume: 30 } }), {});
    await agent.publishState(snapshot({ audio: { volume: 40 } }), {});
    const restarted = await controller(120_000);
    const seen: DeviceStateMessage[] = [];
    const subscription = restarted.state$('push-4').subscribe((message) => seen.push(message));
    await next(restarted.state$('push-4'), (message) => (message.state['audio'] as JsonObject | undefined)?.['volume'] === 40);
    // The overlap's events (volume 20, 30, 40) are replayed as the reader starts; a change after them shows it caught up.
    const latest = next(restarted.state$('push-4'), (message) => (message.state['audio'] as JsonObject)['volume'] === 50);
    await agent.publishState(snapshot({ audio: { volume: 50 } }), {});
    await latest;
    subscription.unsubscribe();
    const versions = seen.map((message) => message.version);
    expect(versions[0]).toBeGreaterThanOrEqual(before.version + 2);
    expect(versions).toEqual(versions.toSorted((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(seen.map((message) => (message.state['audio'] as JsonObject)['volume'])).toEqual([40, 50]);
  });

  it('reads the AMQPS listener with the emulator CA (the `ca` option), and serves the fleet through fleetStates$', async () => {
    const agent = await device('push-tls');
    await agent.publishState(snapshot({ audio: { volume: 1 } }), {});
    const ctl = await controller(60_000, hub.eventHub!.tlsConnectionString);
    expect(ctl.pushPartitionsStarted).toBe(4);
    const fleet = ctl.fleetStates$!();
    expect((await next(fleet, (message) => message.device_id === 'push-tls')).state).toEqual({ audio: { volume: 1 } });
    const pushed = next(fleet, (message) => message.device_id === 'push-tls' && (message.state['audio'] as JsonObject)['volume'] === 2);
    await agent.publishState(snapshot({ audio: { volume: 2 } }), {});
    expect(await pushed).toMatchObject({ device_id: 'push-tls', state: { audio: { volume: 2 } } });
  });

  it('re-establishes a dropped connection and reads what the hub retained meanwhile, in order, with nothing stale', async () => {
    const proxy = await TcpProxy.start(hub.eventHub!.tlsPort!);
    try {
      const agent = await device('push-drop');
      await agent.publishState(snapshot({ audio: { volume: 1 } }), {});
      const cs = hub.eventHub!.tlsConnectionString!.replace(/^Endpoint=sb:\/\/([^:/]+):\d+\//, `Endpoint=sb://$1:${proxy.port}/`);
      const ctl = await controller(60_000, cs);
      const seen: DeviceStateMessage[] = [];
      const subscription = ctl.state$('push-drop').subscribe((message) => seen.push(message));
      const seeded = await next(ctl.state$('push-drop'));
      proxy.cut();
      // Accepted by the hub while the reader is cut off: only the retained events can tell it.
      await agent.publishState(snapshot({ audio: { volume: 2 } }), {});
      await agent.publishState(snapshot({ audio: { volume: 3 } }), {});
      proxy.restore();
      await next(ctl.state$('push-drop'), (message) => (message.state['audio'] as JsonObject)['volume'] === 3);
      subscription.unsubscribe();
      expect(proxy.relayed).toBeGreaterThanOrEqual(2);
      // Each change as its own event (a lost one would have shown as a twin re-read skipping volume 2).
      expect(seen.map((message) => [message.version, (message.state['audio'] as JsonObject)['volume']])).toEqual([
        [seeded.version, 1],
        [seeded.version + 1, 2],
        [seeded.version + 2, 3],
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to start with an Event Hub key the endpoint rejects, naming the option', async () => {
    const wrong = hub.eventHub!.connectionString.replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 9).toString('base64')}`);
    const error = await controller(60_000, wrong).then(() => undefined, (failure: unknown) => failure as Error);
    expect(error).toMatchObject({ code: 'config_invalid' });
    expect(error?.message).toMatch(/eventHubConnectionString: .*refused the credentials/);
    expect(error?.message).not.toContain(Buffer.alloc(32, 9).toString('base64'));
  });

  it('refuses to start with a consumer group the endpoint does not have', async () => {
    const error = await controller(60_000, hub.eventHub!.connectionString, 'no-such-group').then(() => undefined, (failure: unknown) => failure as Error);
    expect(error).toMatchObject({ code: 'config_invalid' });
    expect(error?.message).toMatch(/eventHubConnectionString: .*consumer group 'no-such-group' could not be found/);
  });

  it('offers fleetStates$ only in push mode', () => {
    const polling = new AzureIotHubControllerTransport(parseAzureIotHubOptions({ serviceConnectionString: hub.serviceConnectionString }), 'azure-iot-hub', undefined, undefined, undefined);
    expect(polling.fleetStates$).toBeUndefined();
  });
});
