import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PluginRegistry,
  buildAgent,
  buildController,
  loadConfigFile,
  redactSecrets,
  type Agent,
  type ControllerTransport,
  type DeviceStateMessage,
  type LoadedConfig,
} from '../../core/node.js';
import azurePlugin from '../../adapters/azure-iot-hub/plugin.js';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import mqttPlugin from '../../adapters/mqtt/plugin.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import virtualPlugin from '../../player/virtual/plugin.js';

const DEVICE = 'migrating-player';

interface PlayerView {
  readonly audio?: { readonly volume?: number };
  readonly playback?: { readonly status?: string; readonly playlist?: string };
}

function stateWhere(state$: Observable<DeviceStateMessage>, predicate: (state: PlayerView) => boolean): Promise<DeviceStateMessage> {
  return firstValueFrom(state$.pipe(filter((message) => predicate(message.state as PlayerView))));
}

/**
 * The migration config as shipped, run by buildAgent as `amora agent` does, on the embedded
 * broker and the Azure IoT Hub emulator at once: one device, one model, reachable and drivable
 * from either side. Only the environment differs from production (URLs, the emulator's CA).
 */
describe('examples/migration: one agent on MQTT and Azure IoT Hub', () => {
  let broker: EmbeddedBroker;
  let hub: AzureIotHubEmulator;
  let config: LoadedConfig;
  let agent: Agent;
  let overMqtt: ControllerTransport;
  let overAzure: ControllerTransport;

  beforeAll(async () => {
    [broker, hub] = await Promise.all([startEmbeddedBroker({ port: 0 }), startAzureIotHubEmulator({ port: 0, httpsPort: 0, devices: [DEVICE] })]);
    config = await loadConfigFile(join(dirname(fileURLToPath(import.meta.url)), 'agent.yaml'), {
      AMORA_DEVICE_ID: DEVICE,
      MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
      AZURE_IOT_CONNECTION_STRING: hub.deviceConnectionString(DEVICE),
      // Test-only additions through AMORA__ overrides: trust the emulator's CA, give the
      // controller side a service connection string, poll the twin quickly.
      AMORA__transports__1__ca: hub.caPem,
      AMORA__transports__1__serviceConnectionString: hub.serviceConnectionString,
      AMORA__transports__1__refreshIntervalMs: '100',
    });
    const registry = new PluginRegistry();
    for (const plugin of [mqttPlugin, azurePlugin, virtualPlugin]) registry.register(plugin);
    agent = await buildAgent(config, registry);
    await agent.start();
    [overMqtt, overAzure] = await Promise.all([buildController(config, registry, { transportIndex: 0 }), buildController(config, registry, { transportIndex: 1 })]);
    await Promise.all([overMqtt.start(new AbortController().signal), overAzure.start(new AbortController().signal)]);
  });

  afterAll(async () => {
    await Promise.all([overMqtt?.stop(), overAzure?.stop()]);
    await agent?.stop();
    await Promise.all([broker?.close(), hub?.close()]);
  });

  it('names both transports, and never logs the connection string', () => {
    expect(config.transports.map((t) => t.kind)).toEqual(['mqtt', 'azure-iot-hub']);
    const logged = JSON.stringify(redactSecrets(config));
    expect(logged).not.toContain(hub.deviceConnectionString(DEVICE));
    expect(logged).toContain('"connectionString":"[redacted]"');
  });

  it('reports the same device state on both sides', async () => {
    const [mqttView, azureView] = await Promise.all([
      stateWhere(overMqtt.state$(DEVICE), (s) => s.audio?.volume !== undefined),
      stateWhere(overAzure.state$(DEVICE), (s) => s.audio?.volume !== undefined),
    ]);
    expect(azureView.state['audio']).toEqual(mqttView.state['audio']);
    expect(azureView.state['playlists']).toEqual(mqttView.state['playlists']);
  });

  it('runs a command from either side and shows its effect on the other', async () => {
    expect(await overMqtt.invoke(DEVICE, 'setVolume', { volume: 30 })).toMatchObject({ success: true });
    await stateWhere(overAzure.state$(DEVICE), (s) => s.audio?.volume === 30);
    expect(await overAzure.invoke(DEVICE, 'loadPlaylist', { playlist: 'Focus' })).toMatchObject({ success: true });
    await stateWhere(overMqtt.state$(DEVICE), (s) => s.playback?.playlist === 'Focus' && s.playback.status === 'playing');
  });

  it('answers each side with the same coded errors', async () => {
    const [mqttAnswer, azureAnswer] = await Promise.all([
      overMqtt.invoke(DEVICE, 'setVolume', { volume: 101 }),
      overAzure.invoke(DEVICE, 'setVolume', { volume: 101 }),
    ]);
    expect(mqttAnswer).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'volume' } } });
    expect(azureAnswer).toMatchObject({ success: false, error: mqttAnswer.success ? {} : mqttAnswer.error });
  });

  it('reconciles desired state set on the old side, visible on the new one', async () => {
    await overAzure.setDesired(DEVICE, { audio: { volume: 12 } });
    const message = await stateWhere(overMqtt.state$(DEVICE), (s) => s.audio?.volume === 12);
    expect(message.device_id).toBe(DEVICE);
  });
});
