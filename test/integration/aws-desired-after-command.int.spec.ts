import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotControllerTransport } from '../../adapters/aws-iot/controller-transport.js';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions } from '../../adapters/aws-iot/options.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';
import { VirtualPlayer } from '../../player/virtual/virtual-player.js';
import { virtualPlayerOptionsSchema } from '../../player/virtual/virtual-player-options.js';
import { statusIs } from './aws-support.js';
import { next } from './azure-support.js';

const THING = 'player-aws';
function volume(state: Record<string, unknown>): number | undefined {
  return (state['audio'] as { volume?: number } | undefined)?.volume;
}

const quickRetry: RetryPolicy = { shouldRetry: () => true, nextRetryTimeout: () => 100 };

// The rule "desired values apply when they change" on AWS IoT Core: the shadow keeps sending a
// delta for a desired volume the device left by a direct command; that delta must not undo it.
describe('a direct command and a stale desire on AWS IoT Core (emulator, aws-iot-device-sdk-v2)', () => {
  let emulator: AwsIotEmulator;
  let agent: Agent;
  let controller: AwsIotControllerTransport;

  beforeAll(async () => {
    emulator = await startAwsIotEmulator();
    const options = async (thingName: string) => {
      const credentials = await emulator.createThing(thingName);
      return parseAwsIotOptions({
        endpoint: emulator.endpoint,
        port: emulator.mqttPort,
        certPath: credentials.certPath,
        keyPath: credentials.keyPath,
        caPath: emulator.caPath,
        controller: { httpsEndpoint: emulator.httpsEndpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } },
      });
    };
    const player = new VirtualPlayer(virtualPlayerOptionsSchema.parse({ positionIntervalMs: 60_000 }), 'player');
    const device = new AwsIotDeviceTransport(await options(THING), 'aws-iot', THING, undefined, quickRetry, undefined);
    agent = createAgent({ deviceId: THING, profile: createPlayerProfile(player), transports: [device], components: [player], stopTimeoutMs: 2_000 });
    await agent.start();
    await statusIs(device.status$, 'online');
    controller = new AwsIotControllerTransport(await options('backend'), 'aws-iot', undefined, quickRetry, undefined);
    await controller.start(new AbortController().signal);
    await statusIs(controller.status$, 'online');
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await agent?.stop();
    await emulator?.close();
  });

  it('keeps the volume of setVolume 40 under a desired 70, then applies a new desired 55', async () => {
    const states = controller.state$(THING);
    await controller.setDesired(THING, { audio: { volume: 70 } });
    await next(states, (m) => volume(m.state) === 70);

    expect(await controller.invoke(THING, 'setVolume', { volume: 40 }, { timeoutMs: 10_000 })).toMatchObject({ success: true });
    await next(states, (m) => volume(m.state) === 40);
    // A later desired change is applied after any reaction to the stale one: the volume stayed.
    await controller.setDesired(THING, { content: { sync_enabled: true } });
    const synced = await next(states, (m) => (m.state['content'] as { sync_enabled?: boolean } | undefined)?.sync_enabled === true);
    expect(volume(synced.state)).toBe(40);
    expect(volume(agent.state.snapshot.state)).toBe(40);

    await controller.setDesired(THING, { audio: { volume: 55 } });
    await next(states, (m) => volume(m.state) === 55);
  });
});
