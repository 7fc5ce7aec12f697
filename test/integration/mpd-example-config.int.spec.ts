import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqttjs from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import type { DeviceStateMessage } from '../../core/state/snapshot.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/mqtt-mpd/agent.yaml', import.meta.url));
const DEVICE = 'living-room';

function run(binary: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)));
  });
}

// The examples/mqtt-mpd config as a user runs it, through the config loader, the built-in plugin
// registry and a real Mosquitto; only the addresses come from the environment, as the README shows.
describeWithBinaries(['mpd', 'mpc', 'mosquitto', 'mosquitto_pub', 'mosquitto_sub'], 'examples/mqtt-mpd', (bin) => {
  let mpd: MpdHandle;
  let mosquitto: MosquittoHandle;
  let agent: Agent;
  const mqtt = (): string[] => ['-h', '127.0.0.1', '-p', String(mosquitto.port)];

  beforeAll(async () => {
    [mpd, mosquitto] = await Promise.all([startMpd(), startMosquitto()]);
    const config = await loadConfigFile(EXAMPLE, {
      MPD_HOST: mpd.host,
      MPD_PORT: String(mpd.port),
      MQTT_URL: mosquitto.url,
    });
    agent = await buildAgent(config, createBuiltinRegistry());
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await mosquitto?.dispose();
    await mpd?.dispose();
  });

  it('loads a playlist on a command from mosquitto_pub and retains the playing state', async () => {
    // A client subscribed before the command sees the answer (not retained) and the state change.
    const watcher = await mqttjs.connectAsync(mosquitto.url);
    const seen = new Promise<{ response: unknown }>((resolve) => {
      let response: unknown;
      let playing = false;
      watcher.on('message', (topic, payload) => {
        const message = JSON.parse(payload.toString()) as { state?: { playback?: { status?: string } } };
        if (topic.endsWith('/responses')) response = message;
        else if (message.state?.playback?.status === 'playing') playing = true;
        if (response !== undefined && playing) resolve({ response });
      });
    });
    await watcher.subscribeAsync([`amora/devices/${DEVICE}/responses`, `amora/devices/${DEVICE}/state`], { qos: 1 });
    await run(bin.mosquitto_pub, [
      ...mqtt(), '-q', '1', '-t', `amora/devices/${DEVICE}/commands`,
      '-m', JSON.stringify({ command: 'loadPlaylist', command_id: 'example-1', params: { playlist: 'Morning' }, timestamp: 1620000000 }),
    ]);
    expect((await seen).response).toMatchObject({ command_id: 'example-1', success: true });
    await watcher.endAsync();
    expect((await mpd.status())['state']).toBe('play');

    // A client arriving now gets the retained state.
    const retained = JSON.parse(
      await run(bin.mosquitto_sub, [...mqtt(), '-t', `amora/devices/${DEVICE}/state`, '-C', '1']),
    ) as DeviceStateMessage;
    expect(retained).toMatchObject({
      device_id: DEVICE,
      state: { playback: { status: 'playing', current_track: 'First Light', playlist: 'Morning' }, audio: { backend: 'mpd' } },
    });
  });
});
