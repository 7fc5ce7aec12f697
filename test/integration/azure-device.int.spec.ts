import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResponse } from '../../core/commands/types.js';
import type { JsonObject } from '../../core/state/json.js';
import type { StateSnapshot } from '../../core/state/snapshot.js';
import type { DesiredUpdate, InboundCommand } from '../../core/transport/device-transport.js';
import type { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { azureDevice, next, serviceSdk, statusIs } from './azure-support.js';

/** The Azure device transport with the real azure-iot-device SDK against the emulator over TLS. */
describe('AzureIotHubDeviceTransport on the emulator', () => {
  let hub: AzureIotHubEmulator;
  const running: AzureIotHubDeviceTransport[] = [];
  let version = 0;

  const snapshot = (state: JsonObject): StateSnapshot => ({ state, version: ++version, timestamp: Date.now(), metadata: {} });

  async function started(deviceId: string, options: Parameters<typeof azureDevice>[2] = {}): Promise<AzureIotHubDeviceTransport> {
    const transport = azureDevice(hub, deviceId, options);
    running.push(transport);
    await transport.start(new AbortController().signal);
    return transport;
  }

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['dev-state', 'dev-methods', 'dev-desired', 'dev-boot', 'dev-offline', 'dev-429', 'dev-limits', 'dev-ws', 'dev-ca-file'] });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((transport) => transport.stop()));
  });
  afterAll(async () => {
    await hub.close();
  });

  it('reports the whole state first, then only what changed', async () => {
    const device = await started('dev-state');
    const patches: JsonObject[] = [];
    const subscription = hub.devices.reportedPatches$.subscribe((p) => p.deviceId === 'dev-state' && patches.push(p.patch));
    await device.publishState(snapshot({ audio: { volume: 20, backend: 'mpd' }, playback: { status: 'stopped' } }), {});
    await device.publishState(snapshot({ audio: { volume: 35, backend: 'mpd' }, playback: { status: 'stopped' } }), {});
    subscription.unsubscribe();
    expect(patches).toEqual([{ audio: { volume: 20, backend: 'mpd' }, playback: { status: 'stopped' } }, { audio: { volume: 35 } }]);
    const { responseBody: twin } = await serviceSdk(hub).registry.getTwin('dev-state');
    expect(twin.properties.reported['audio']).toEqual({ volume: 35, backend: 'mpd' });
  });

  it('turns direct methods into commands and answers with the status of the error code', async () => {
    const device = await started('dev-methods');
    const answers: Record<string, CommandResponse> = {
      setVolume: { command_id: 'x', command: 'setVolume', success: true, result: { volume: 40 }, timestamp: 1 },
      loadPlaylist: { command_id: 'y', command: 'loadPlaylist', success: false, error: { code: 'not_found', message: 'no playlist Jazz' }, timestamp: 2 },
    };
    const seen: InboundCommand[] = [];
    device.commands$.subscribe((command) => {
      seen.push(command);
      void device.respond(command, answers[command.command!]!);
    });
    const { client } = serviceSdk(hub);
    const ok = await client.invokeDeviceMethod('dev-methods', { methodName: 'setVolume', payload: { volume: 40 }, responseTimeoutInSeconds: 5 });
    expect(ok.result).toEqual({
      status: 200,
      payload: { volume: 40, result: true, message: 'Volume set', command_id: 'x', command: 'setVolume', success: true, data: { volume: 40 }, timestamp: 1 },
    });
    const failed = await client.invokeDeviceMethod('dev-methods', { methodName: 'loadPlaylist', payload: { name: 'Jazz' }, responseTimeoutInSeconds: 5 });
    expect(failed.result).toMatchObject({ status: 404, payload: { success: false, result: false, message: 'no playlist Jazz', error: { code: 'not_found' } } });
    expect(seen[0]).toMatchObject({ command: 'setVolume', requestId: expect.any(String) });
    expect(JSON.parse(new TextDecoder().decode(seen[0]!.payload as Uint8Array))).toEqual({ volume: 40 });
  });

  it('delivers the whole desired section on connect, then newer patches, and the desired command', async () => {
    const { registry } = serviceSdk(hub);
    await registry.updateTwin('dev-desired', { properties: { desired: { audio: { volume: 10 } } } }, '*');
    const device = azureDevice(hub, 'dev-desired');
    running.push(device);
    const updates: DesiredUpdate[] = [];
    const commands: InboundCommand[] = [];
    device.desired$.subscribe((update) => updates.push(update));
    device.commands$.subscribe((command) => commands.push(command));
    await device.start(new AbortController().signal);
    expect(updates).toEqual([{ patch: { audio: { volume: 10 } }, full: true, version: 2 }]);

    const patched = next(device.desired$);
    await registry.updateTwin('dev-desired', { properties: { desired: { content: { default_playlist: 'Morning' } } } }, '*');
    expect(await patched).toEqual({ patch: { content: { default_playlist: 'Morning' } }, version: 3 });

    const command = next(device.commands$);
    await registry.updateTwin('dev-desired', { properties: { desired: { command: { action: 'setVolume', parameters: { volume: 55 } } } } }, '*');
    const inbound = await command;
    expect(inbound).toMatchObject({ command: 'setVolume', requestId: 'desired-v4', payload: { command_id: 'desired-v4', params: { volume: 55 } } });
    await device.respond(inbound, { command_id: 'desired-v4', command: 'setVolume', success: true, timestamp: 3 });
    const { responseBody: twin } = await registry.getTwin('dev-desired');
    expect(twin.properties.reported['command_response']).toMatchObject({ command_id: 'desired-v4', success: true, desired: { action: 'setVolume' } });
    expect(updates.some((update) => 'command' in update.patch)).toBe(false);
  });

  it('runs a desired command found in the twin at connect once, and not again after a restart', async () => {
    await serviceSdk(hub).registry.updateTwin('dev-boot', { properties: { desired: { command: { action: 'play', command_id: 'boot-1' } } } }, '*');
    const first = azureDevice(hub, 'dev-boot');
    running.push(first);
    const commands: InboundCommand[] = [];
    first.commands$.subscribe((command) => {
      commands.push(command);
      void first.respond(command, { command_id: command.requestId!, command: command.command!, success: true, timestamp: 1 });
    });
    const answered = next(hub.devices.reportedPatches$, (p) => p.deviceId === 'dev-boot' && 'command_response' in p.patch);
    await first.start(new AbortController().signal);
    expect((await answered).patch['command_response']).toMatchObject({ command_id: 'boot-1', success: true, desired: { action: 'play' } });
    expect(commands.map((c) => [c.command, c.requestId])).toEqual([['play', 'boot-1']]);
    await first.stop();

    const second = azureDevice(hub, 'dev-boot');
    running.push(second);
    const again: InboundCommand[] = [];
    second.commands$.subscribe((command) => again.push(command));
    await second.start(new AbortController().signal);
    await statusIs(second.status$, 'online');
    expect(again).toEqual([]);
  });

  it('applies a desired change made while offline after reconnecting, and reports what changed meanwhile', async () => {
    const device = await started('dev-offline');
    await device.publishState(snapshot({ audio: { volume: 1 } }), {});
    const offline = statusIs(device.status$, 'offline');
    hub.devices.disconnect('dev-offline');
    await offline;
    await device.publishState(snapshot({ audio: { volume: 2 } }), {});
    const full = next(device.desired$, (update) => update.full === true);
    await serviceSdk(hub).registry.updateTwin('dev-offline', { properties: { desired: { audio: { volume: 70 } } } }, '*');
    expect((await full).patch).toEqual({ audio: { volume: 70 } });
    await statusIs(device.status$, 'online');
    const { responseBody: twin } = await serviceSdk(hub).registry.getTwin('dev-offline');
    expect(twin.properties.reported['audio']).toEqual({ volume: 2 });
  });

  it('backs off and retries reported patches the hub throttles (429)', async () => {
    const device = await started('dev-429');
    hub.devices.throttleReportedPatches(2);
    await device.publishState(snapshot({ audio: { volume: 9 } }), {});
    const { responseBody: twin } = await serviceSdk(hub).registry.getTwin('dev-429');
    expect(twin.properties.reported['audio']).toEqual({ volume: 9 });
  });

  it('refuses oversized reported state and telemetry locally, and sends telemetry as JSON messages', async () => {
    const device = await started('dev-limits');
    await expect(device.publishState(snapshot({ blob: 'x'.repeat(33 * 1024) }), {})).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(device.publishState(snapshot({ 'a.b': 1 }), {})).rejects.toThrow(/refuses/);
    const huge = { kind: 'metrics', records: [{ kind: 'metrics', data: 'y'.repeat(257 * 1024), timestamp: 1 }] };
    await expect(device.publishTelemetry(huge)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(hub.devices.isConnected('dev-limits')).toBe(true);

    const message = next(hub.devices.telemetry$, (m) => m.deviceId === 'dev-limits');
    await device.publishTelemetry({ kind: 'playerStatus', records: [{ kind: 'playerStatus', data: { status: 'playing' }, timestamp: 5 }] });
    const received = await message;
    expect(received).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', properties: { messageType: 'playerStatus' } });
    expect(JSON.parse(received.body.toString('utf8'))).toEqual({ device_id: 'dev-limits', kind: 'playerStatus', records: [{ data: { status: 'playing' }, timestamp: 5 }] });
  });

  it('connects over MQTT over WebSocket', async () => {
    const device = azureDevice(hub, 'dev-ws', { transport: 'mqtt-ws', connectionString: hub.deviceConnectionString('dev-ws', { websocket: true }) });
    running.push(device);
    await device.start(new AbortController().signal);
    await statusIs(device.status$, 'online');
    await device.publishState(snapshot({ audio: { volume: 3 } }), {});
    expect(hub.devices.isConnected('dev-ws')).toBe(true);
  });

  it('stops retrying when the hub refuses the key', async () => {
    const wrong = hub.deviceConnectionString('dev-ws').replace(/SharedAccessKey=[^;]+/, `SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`);
    const device = azureDevice(hub, 'dev-ws', { connectionString: wrong });
    running.push(device);
    await device.start(new AbortController().signal);
    const status = await statusIs(device.status$, 'offline');
    expect(status.error).toMatchObject({ code: 'authentication_failed' });
    expect(status.error?.message).not.toContain(Buffer.alloc(32, 1).toString('base64'));
  });

  it('retries while its ca file is gone (removed after start) and reconnects once the file returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'amora-azure-ca-'));
    const ca = join(dir, 'hub-ca.pem');
    try {
      await writeFile(ca, hub.caPem);
      const device = await started('dev-ca-file', { ca });
      await statusIs(device.status$, 'online');
      await rm(ca);
      hub.devices.disconnect('dev-ca-file');
      const missing = await next(device.status$, (status) => status.state === 'offline' && /^ca: cannot read .*hub-ca\.pem: ENOENT$/.test(status.error?.message ?? ''));
      expect(missing.error).toMatchObject({ code: 'config_invalid' });
      // Really retried: the next attempt starts (and fails the same way while the file is gone).
      await next(device.status$, (status) => status.state === 'connecting');
      await writeFile(ca, hub.caPem);
      await statusIs(device.status$, 'online');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
