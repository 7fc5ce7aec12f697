import { fileURLToPath } from 'node:url';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { statusIs } from './aws-support.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/aws/agent.yaml', import.meta.url));
const DEVICE = 'living-room';

// examples/aws as a user runs it: the config loader, the built-in plugin registry, a real MPD,
// the emulator, and the ANC guide's IOT_* variables for the connection, as the README shows.
describeWithBinaries(['mpd', 'mpc'], 'examples/aws', () => {
  let mpd: MpdHandle;
  let emulator: AwsIotEmulator;
  let agent: Agent;
  let controller: ControllerTransport;

  beforeAll(async () => {
    [mpd, emulator] = await Promise.all([startMpd(), startAwsIotEmulator({ things: [DEVICE] })]);
    const credentials = await emulator.createThing(DEVICE);
    const variables = {
      IOT_ENDPOINT: emulator.endpoint,
      IOT_PORT: String(emulator.mqttPort),
      IOT_THING_NAME: DEVICE,
      IOT_CERT_PATH: credentials.certPath,
      IOT_KEY_PATH: credentials.keyPath,
      IOT_ROOT_CA_PATH: emulator.caPath,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
    };
    for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
    const config = await loadConfigFile(EXAMPLE, {
      MPD_HOST: mpd.host,
      MPD_PORT: String(mpd.port),
      IOT_HTTPS_ENDPOINT: emulator.httpsEndpoint,
    });
    agent = await buildAgent(config, createBuiltinRegistry());
    controller = await buildController(config, createBuiltinRegistry());
    await Promise.all([agent.start(), controller.start(new AbortController().signal)]);
    await statusIs(controller.status$, 'online');
  });

  afterAll(async () => {
    await controller?.stop();
    await agent?.stop();
    await emulator?.close();
    await mpd?.dispose();
    vi.unstubAllEnvs();
  });

  it('plays a playlist on a command and reports it in the shadow', async () => {
    expect(await controller.invoke(DEVICE, 'loadPlaylist', { playlist: 'Morning' })).toMatchObject({ success: true });
    const playing = await firstValueFrom(controller.state$(DEVICE).pipe(filter((m) => (m.state['playback'] as { status?: string } | undefined)?.status === 'playing')));
    expect(playing.state).toMatchObject({ playback: { playlist: 'Morning' }, audio: { backend: 'mpd' } });
    expect((await mpd.status())['state']).toBe('play');
  });

  it('moves the player to a desired volume set through the shadow', async () => {
    await controller.setDesired(DEVICE, { audio: { volume: 37 } });
    await firstValueFrom(controller.state$(DEVICE).pipe(filter((m) => (m.state['audio'] as { volume?: number } | undefined)?.volume === 37)));
    expect((await mpd.status())['volume']).toBe('37');
  });
});
