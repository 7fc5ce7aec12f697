import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';

const DEVICE = 'mpd-outage-1';
const STATE_TOPIC = `amora/devices/${DEVICE}/state`;

/** `error` is there only while unavailable (the patch's `error: null` deletes it). */
interface PlayerSection {
  readonly available: boolean;
  readonly error?: string;
}

// An MPD outage must show on the wire: MPD killed with SIGKILL, the retained state a newly
// arriving client reads says the player is unavailable (and why); after MPD restarts, available again.
describeWithBinaries(['mpd', 'mosquitto'], 'MPD outage in reported state', () => {
  let mpd: MpdHandle;
  let broker: MosquittoHandle;
  let agent: Agent;

  let watcher: mqtt.MqttClient;
  const players: PlayerSection[] = [];
  const probes = new Set<() => void>();

  /** Waits for a state publish whose `player` section passes `accept`. */
  function published(accept: (player: PlayerSection) => boolean): Promise<PlayerSection> {
    return new Promise((resolve) => {
      const probe = (): void => {
        const found = players.find(accept);
        if (!found) return;
        probes.delete(probe);
        resolve(found);
      };
      probes.add(probe);
      probe();
    });
  }

  /** The `player` section of the retained state, as a client connecting now reads it. */
  async function retainedPlayer(): Promise<PlayerSection | undefined> {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    try {
      const message = new Promise<DeviceStateMessage>((resolve) => client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()) as DeviceStateMessage)));
      await client.subscribeAsync(STATE_TOPIC, { qos: 1 });
      return (await message).state['player'] as unknown as PlayerSection | undefined;
    } finally {
      await client.endAsync(true);
    }
  }

  beforeAll(async () => {
    mpd = await startMpd();
    broker = await startMosquitto();
    const player = new MpdPlayer(
      mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port, reconnect: { initialMs: 50, maxMs: 300 } }),
      'mpd',
    );
    const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY }, DEVICE);
    agent = createAgent({ deviceId: DEVICE, profile: createPlayerProfile(player), transports: [transport], components: [player] });
    await agent.start();
    watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    watcher.on('message', (_topic, payload) => {
      const section = (JSON.parse(payload.toString()) as DeviceStateMessage).state['player'] as unknown as PlayerSection | undefined;
      if (section) players.push(section);
      for (const probe of probes) probe();
    });
    await watcher.subscribeAsync(STATE_TOPIC, { qos: 1 });
  }, 60_000);

  afterAll(async () => {
    await watcher?.endAsync(true);
    await agent?.stop();
    await broker?.dispose();
    await mpd?.dispose();
  });

  it('retains player.available false with the reason while MPD is dead, true again after it restarts', async () => {
    await published((p) => p.available);
    expect(await retainedPlayer()).toEqual({ available: true });
    players.length = 0;
    await mpd.kill();
    await published((p) => !p.available);
    const down = await retainedPlayer();
    expect(down).toEqual({ available: false, error: expect.any(String) });
    // Commands answer unavailable meanwhile, consistent with what the state says.
    expect(await agent.execute('play')).toMatchObject({ success: false, error: { code: 'unavailable' } });
    players.length = 0;
    await mpd.restart();
    await published((p) => p.available);
    expect(await retainedPlayer()).toEqual({ available: true });
  }, 60_000);
});
