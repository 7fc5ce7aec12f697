import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { next, statusIs } from './azure-support.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/azure/agent.yaml', import.meta.url));
const MQTT_EXAMPLE = fileURLToPath(new URL('../../examples/mqtt-mpd/agent.yaml', import.meta.url));
const DEVICE = 'living-room';

function withoutTransports(text: string): unknown {
  return { ...(parse(text) as Record<string, unknown>), transports: undefined };
}

describe('examples/azure/agent.yaml', () => {
  it('differs from the MQTT example only in transports', async () => {
    const [azure, mqtt] = await Promise.all([readFile(EXAMPLE, 'utf8'), readFile(MQTT_EXAMPLE, 'utf8')]);
    expect(withoutTransports(azure)).toEqual(withoutTransports(mqtt));
    expect((parse(azure) as { transports: { kind: string }[] }).transports.map((t) => t.kind)).toEqual(['azure-iot-hub']);
  });
});

// examples/azure as a user runs it: the config loader, the built-in plugin registry, a real MPD,
// the emulator (with its CA in a cert directory) and the connection strings in the environment.
describeWithBinaries(['mpd', 'mpc'], 'examples/azure on the emulator', () => {
  let mpd: MpdHandle;
  let hub: AzureIotHubEmulator;
  let certDir: string;
  let agent: Agent;
  let controller: ControllerTransport;

  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'amora-azure-example-'));
    [mpd, hub] = await Promise.all([startMpd(), startAzureIotHubEmulator({ port: 0, httpsPort: 0, certDir, devices: [DEVICE] })]);
    const variables = {
      AMORA_DEVICE_CONNECTION_STRING: hub.deviceConnectionString(DEVICE),
      AMORA_SERVICE_CONNECTION_STRING: hub.serviceConnectionString,
    };
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    const config = await loadConfigFile(EXAMPLE, { MPD_HOST: mpd.host, MPD_PORT: String(mpd.port), AMORA_AZURE_CA: hub.caPath! });
    agent = await buildAgent(config, createBuiltinRegistry());
    controller = await buildController(config, createBuiltinRegistry());
    await Promise.all([agent.start(), controller.start(new AbortController().signal)]);
    await statusIs(controller.status$, 'online');
  });

  afterAll(async () => {
    await controller?.stop();
    await agent?.stop();
    await hub?.close();
    await mpd?.dispose();
    await rm(certDir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('plays a playlist on a direct method and reports it in the twin', async () => {
    expect(await controller.invoke(DEVICE, 'loadPlaylist', { playlist: 'Morning' })).toMatchObject({ success: true });
    const playing = await next(controller.state$(DEVICE), (m) => (m.state['playback'] as { status?: string } | undefined)?.status === 'playing');
    expect(playing.state).toMatchObject({ playback: { playlist: 'Morning' }, audio: { backend: 'mpd' } });
    expect((await mpd.status())['state']).toBe('play');
  });

  it('moves the player to a desired volume set in the twin', async () => {
    await controller.setDesired(DEVICE, { audio: { volume: 37 } });
    await next(controller.state$(DEVICE), (m) => (m.state['audio'] as { volume?: number } | undefined)?.volume === 37);
    expect((await mpd.status())['volume']).toBe('37');
  });
});
