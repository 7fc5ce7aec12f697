import { execFile } from 'node:child_process';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { parseMqttOptions } from '../../adapters/mqtt/options.js';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import type { CommandResponse } from '../../core/commands/types.js';
import { createPlayerProfile } from '../../core/player/player-profile.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import { MpdPlayer } from '../../player/mpd/mpd-player.js';
import { mpdPlayerOptionsSchema } from '../../player/mpd/mpd-player-options.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';

const DEVICE = 'player-e2e';
const TOPICS = {
  commands: `amora/devices/${DEVICE}/commands`,
  responses: `amora/devices/${DEVICE}/responses`,
  state: `amora/devices/${DEVICE}/state`,
};

function volumeOf(message: DeviceStateMessage): number | undefined {
  return (message.state['audio'] as { volume?: number } | undefined)?.volume;
}

function run(binary: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)));
  });
}

// End to end: a real MPD, the agent with the MPD player and the MQTT transport on the embedded
// broker, commands sent by mosquitto_pub in the seed wire format, state read back as MQTT clients see it.
describeWithBinaries(['mpd', 'mpc', 'mosquitto_pub', 'mosquitto_sub'], 'agent with MPD over MQTT', (bin) => {
  let mpd: MpdHandle;
  let broker: EmbeddedBroker;
  let agent: Agent;
  let watcher: mqtt.MqttClient;
  const states: DeviceStateMessage[] = [];
  const responses: CommandResponse[] = [];
  const waiters = new Set<() => void>();
  const until = (check: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const probe = (): void => {
        if (!check()) return;
        waiters.delete(probe);
        resolve();
      };
      waiters.add(probe);
      probe();
    });

  const publishCommand = (command: string, id: string, params: object = {}): Promise<string> =>
    run(bin.mosquitto_pub, [
      '-h', '127.0.0.1', '-p', String(broker.port), '-q', '1', '-t', TOPICS.commands,
      '-m', JSON.stringify({ command, command_id: id, params, timestamp: 1620000000 }),
    ]);
  const responseTo = async (id: string): Promise<CommandResponse> => {
    await until(() => responses.some((r) => r.command_id === id));
    return responses.find((r) => r.command_id === id) as CommandResponse;
  };

  beforeAll(async () => {
    mpd = await startMpd();
    broker = await startEmbeddedBroker({ port: 0 });
    const player = new MpdPlayer(mpdPlayerOptionsSchema.parse({ host: mpd.host, port: mpd.port }), 'mpd');
    const transport = new MqttDeviceTransport(
      parseMqttOptions({ url: `mqtt://127.0.0.1:${broker.port}` }),
      'mqtt',
      DEVICE,
      undefined,
      undefined,
      undefined,
      undefined,
    );
    agent = createAgent({ deviceId: DEVICE, profile: createPlayerProfile(player), transports: [transport], components: [player] });
    await agent.start();

    watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    watcher.on('message', (topic, payload) => {
      const message = JSON.parse(payload.toString()) as unknown;
      if (topic === TOPICS.state) states.push(message as DeviceStateMessage);
      else responses.push(message as CommandResponse);
      for (const probe of waiters) probe();
    });
    await watcher.subscribeAsync([TOPICS.state, TOPICS.responses], { qos: 1 });
  });

  afterAll(async () => {
    await watcher?.endAsync();
    await agent?.stop();
    await broker?.close();
    await mpd?.dispose();
  });

  it('plays on a seed-format play command and retains the playing state', async () => {
    await mpd.mpc('load', 'Morning');
    await publishCommand('play', 'test-1');
    expect(await responseTo('test-1')).toMatchObject({ command_id: 'test-1', command: 'play', success: true });
    expect((await mpd.status())['state']).toBe('play');
    expect((await mpd.currentSong())['Title']).toBe('First Light');

    await until(() => states.some((s) => (s.state['playback'] as { status?: string } | undefined)?.status === 'playing'));
    // A client arriving now gets the retained state at once.
    const retained = JSON.parse(
      await run(bin.mosquitto_sub, ['-h', '127.0.0.1', '-p', String(broker.port), '-t', TOPICS.state, '-C', '1']),
    ) as DeviceStateMessage;
    expect(retained.device_id).toBe(DEVICE);
    expect(retained.state).toMatchObject({
      audio: { backend: 'mpd', device: 'null' },
      playback: { status: 'playing', current_track: 'First Light', duration: 60 },
    });
  });

  it('answers MPD refusals with coded errors over MQTT', async () => {
    await publishCommand('loadPlaylist', 'test-2', { playlist: 'No Such List' });
    expect(await responseTo('test-2')).toMatchObject({ success: false, error: { code: 'not_found' } });
    await publishCommand('loadPlaylist', 'test-3', { playlist: 'Evening' });
    expect(await responseTo('test-3')).toMatchObject({ success: true });
    expect((await mpd.currentSong())['file']).toBe('untitled.wav');
    await publishCommand('next', 'test-4');
    expect(await responseTo('test-4')).toMatchObject({ success: true });
    await publishCommand('next', 'test-5');
    expect(await responseTo('test-5')).toMatchObject({ success: false, error: { code: 'conflict' } });
  });

  it('reports a volume change made on the device itself', async () => {
    await mpd.mpc('volume', '42');
    await until(() => states.some((s) => volumeOf(s) === 42));
    expect(volumeOf(states[states.length - 1] as DeviceStateMessage)).toBe(42);
  });
});
