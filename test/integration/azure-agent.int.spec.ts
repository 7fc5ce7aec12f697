import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { PlayerClient } from '../../core/player/player-client.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import { VirtualPlayer } from '../../player/virtual/virtual-player.js';
import { virtualPlayerOptionsSchema } from '../../player/virtual/virtual-player-options.js';
import { AzureIotHubControllerTransport } from '../../adapters/azure-iot-hub/controller-transport.js';
import { createDeviceCertificate, startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { parseAzureIotHubOptions } from '../../adapters/azure-iot-hub/options.js';
import { createSasToken } from '../../adapters/azure-iot-hub/sas.js';
import { azureDevice, next, serviceSdk, statusIs } from './azure-support.js';

/**
 * A whole agent (virtual player, player profile) on the Azure device transport, driven through
 * the Azure controller and the typed PlayerClient, plus the hub's refusals, all with the real
 * SDKs over TLS against the emulator.
 */
describe('an agent on Azure IoT Hub (emulator)', () => {
  let hub: AzureIotHubEmulator;
  let agent: Agent;
  let controller: AzureIotHubControllerTransport;
  let client: PlayerClient;
  const stops: (() => Promise<unknown>)[] = [];

  const controllerFor = (options: { methodConnectTimeoutSeconds?: number } = {}): AzureIotHubControllerTransport =>
    new AzureIotHubControllerTransport(
      parseAzureIotHubOptions({ serviceConnectionString: hub.serviceConnectionString, ca: hub.caPem, refreshIntervalMs: 100, ...options }),
      'azure-iot-hub',
      undefined,
      undefined,
      undefined,
    );

  beforeAll(async () => {
    hub = await startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: ['player-az', 'offline-dev', 'late-dev', 'renewing-dev'] });
    const player = new VirtualPlayer(virtualPlayerOptionsSchema.parse({ positionIntervalMs: 60_000 }), 'player');
    agent = createAgent({
      deviceId: 'player-az',
      profile: createPlayerProfile(player),
      transports: [azureDevice(hub, 'player-az')],
      components: [player],
      stopTimeoutMs: 2_000,
    });
    await agent.start();
    controller = controllerFor();
    await controller.start(new AbortController().signal);
    client = new PlayerClient(controller, 'player-az', { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    await agent?.stop();
    await controller?.stop();
    await hub?.close();
  });

  it('is driven through the typed player client, reporting the AmoraOS twin shape', async () => {
    await client.loadPlaylist('Focus');
    await client.setVolume(35);
    const status = await client.getStatus();
    expect(status).toMatchObject({ audio: { volume: 35 }, playback: { status: 'playing', playlist: 'Focus' } });
    expect(await client.getPlaylists()).toContain('Focus');
    await expect(client.loadPlaylist('No Such List')).rejects.toMatchObject({ name: 'CommandError', code: 'not_found' });

    const update = await next(client.status$, (u) => (u.state['audio'] as { volume?: number } | undefined)?.volume === 35);
    expect(Object.keys(update.state)).toEqual(expect.arrayContaining(['audio', 'playback', 'playlists', 'system']));
    expect(await next(client.connection$, (presence) => presence !== 'unknown')).toBe('online');
  });

  it('moves the player towards desired state set through the controller', async () => {
    await controller.setDesired('player-az', { audio: { volume: 12 } });
    const update = await next(client.status$, (u) => (u.state['audio'] as { volume?: number } | undefined)?.volume === 12);
    expect(update.deviceId).toBe('player-az');
    expect(await client.getStatus()).toMatchObject({ audio: { volume: 12 } });
  });

  it('answers malformed method payloads with 400 and our error object, and keeps running', async () => {
    const raw = await hub.devices.invokeRawMethod('player-az', 'setVolume', Buffer.from('{"volume":'), { connectTimeoutMs: 0, responseTimeoutMs: 5_000 });
    expect(raw).toMatchObject({ status: 400, payload: { success: false, error: { code: 'invalid_params', details: { field: 'payload' } } } });

    const { client: service } = serviceSdk(hub);
    const invalid = await service.invokeDeviceMethod('player-az', { methodName: 'setVolume', payload: { volume: 'loud' }, responseTimeoutInSeconds: 5 });
    expect(invalid.result).toMatchObject({ status: 400, payload: { result: false, message: expect.any(String), error: { code: 'invalid_params' } } });
    const unknown = await service.invokeDeviceMethod('player-az', { methodName: 'shuffle', payload: {}, responseTimeoutInSeconds: 5 });
    expect(unknown.result).toMatchObject({ status: 404, payload: { error: { code: 'unknown_command' } } });

    await client.pause();
    expect(await client.getStatus()).toMatchObject({ playback: { status: 'paused' } });
  });

  it('answers 404 for a method to a device that stays offline past the connect timeout', async () => {
    const { client: service } = serviceSdk(hub);
    const failure = await service
      .invokeDeviceMethod('offline-dev', { methodName: 'play', payload: {}, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 1 })
      .then(() => undefined, (error: { response?: { statusCode?: number } }) => error);
    expect(failure?.response?.statusCode).toBe(404);

    const patient = controllerFor({ methodConnectTimeoutSeconds: 1 });
    stops.push(() => patient.stop());
    await patient.start(new AbortController().signal);
    await expect(patient.invoke('offline-dev', 'play', {}, { timeoutMs: 5_000 })).rejects.toMatchObject({ name: 'TimeoutError', details: { status: 404 } });
  });

  it('delivers a method to a device that connects within the connect timeout', async () => {
    const patient = controllerFor({ methodConnectTimeoutSeconds: 30 });
    stops.push(() => patient.stop());
    await patient.start(new AbortController().signal);
    const answer = patient.invoke('late-dev', 'echo', { value: 1 }, { timeoutMs: 30_000 });
    const late = azureDevice(hub, 'late-dev');
    stops.push(() => late.stop());
    late.commands$.subscribe((command) => {
      void late.respond(command, { command_id: 'late', command: 'echo', success: true, result: { late: true }, timestamp: 1 });
    });
    await late.start(new AbortController().signal);
    expect(await answer).toMatchObject({ success: true, result: { late: true } });
  });

  it('closes the connection of a client that publishes with QoS 2', async () => {
    const key = hub.registry.getDevice('offline-dev')!.primaryKey!;
    const host = `localhost:${hub.mqttPort}`;
    const raw = mqtt.connect(`mqtts://localhost:${hub.mqttPort}`, {
      clientId: 'offline-dev',
      username: `${host}/offline-dev/?api-version=2021-04-12`,
      password: createSasToken({ resource: `${host}/devices/offline-dev`, key, expiresAt: Math.floor(Date.now() / 1000) + 60 }),
      protocolVersion: 4,
      ca: hub.caPem,
      reconnectPeriod: 0,
    });
    stops.push(() => raw.endAsync(true));
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', () => resolve());
      raw.once('error', reject);
    });
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.publish('devices/offline-dev/messages/events/', 'x', { qos: 2 });
    await closed;
    expect(raw.connected).toBe(false);
    expect(hub.devices.telemetry('offline-dev')).toEqual([]);
  });

  it('connects an X.509 device identified by its certificate thumbprint', async () => {
    const certificate = await createDeviceCertificate('x509-dev');
    hub.registry.createDevice('x509-dev', { x509Thumbprint: certificate.thumbprint });
    const device = azureDevice(hub, 'x509-dev', { x509: { cert: certificate.certPem, key: certificate.keyPem } });
    stops.push(() => device.stop());
    await device.start(new AbortController().signal);
    await statusIs(device.status$, 'online');
    await device.publishState({ state: { audio: { volume: 1 } }, version: 1, timestamp: 1, metadata: {} }, {});
    const { responseBody: twin } = await serviceSdk(hub).registry.getTwin('x509-dev');
    expect(twin.properties.reported['audio']).toEqual({ volume: 1 });

    const stranger = await createDeviceCertificate('x509-dev');
    const impostor = azureDevice(hub, 'x509-dev', { x509: { cert: stranger.certPem, key: stranger.keyPem } });
    stops.push(() => impostor.stop());
    await impostor.start(new AbortController().signal);
    expect((await statusIs(impostor.status$, 'offline')).error).toMatchObject({ code: 'authentication_failed' });
  });

  it('renews its SAS token before expiry and stays in sync', async () => {
    const connects = hub.devices.connections$;
    const device = azureDevice(hub, 'renewing-dev', { sasTokenTtlSeconds: 60, sasRenewalMarginSeconds: 59 });
    stops.push(() => device.stop());
    const first = next(connects, (event) => event.deviceId === 'renewing-dev' && event.connected);
    await device.start(new AbortController().signal);
    const { tokenExpiresAt } = await first;
    const renewed = await next(connects, (event) => event.deviceId === 'renewing-dev' && event.connected && event.tokenExpiresAt! > tokenExpiresAt!);
    expect(renewed.tokenExpiresAt).toBeGreaterThan(tokenExpiresAt!);
    const desired = next(device.desired$, (update) => (update.patch['audio'] as { volume?: number } | undefined)?.volume === 77);
    await hub.devices.whenSubscribed('renewing-dev', 'desired');
    await serviceSdk(hub).registry.updateTwin('renewing-dev', { properties: { desired: { audio: { volume: 77 } } } }, '*');
    await desired;
  });
});
