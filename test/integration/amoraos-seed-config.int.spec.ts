import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ReplaySubject, startWith, type Observable } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { startMpd, type MpdHandle } from '../support/mpd.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { waitFor } from '../support/wait-for.js';
import { serviceSdk } from './azure-support.js';
import { ensureCliBuilt } from './cli-build.js';
import { spawnCli, type CliProcess } from './cli-process.js';

const SEED_CONFIG = new URL('../fixtures/amoraos/iot-guide-config.json', import.meta.url);
/** The ids as the guide's own examples have them: the MQTT identity differs from the hub's. */
const HUB_DEVICE = 'waybox-player-001';
const MQTT_DEVICE = 'amora-player-001';
const TOPIC = (leaf: string) => `amora/devices/${MQTT_DEVICE}/${leaf}`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** mosquitto_sub as a line stream of parsed messages. */
function subscribe(binary: string, port: number, topic: string): { messages$: Observable<Json>; process: ChildProcess } {
  const child = spawn(binary, ['-h', '127.0.0.1', '-p', String(port), '-q', '1', '-t', topic], { stdio: ['ignore', 'pipe', 'inherit'] });
  const subject = new ReplaySubject<Json>();
  createInterface({ input: child.stdout! }).on('line', (line) => subject.next(JSON.parse(line) as Json));
  return { messages$: subject.asObservable(), process: child };
}

function run(binary: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, [...args], (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(stdout)));
  });
}

// The IoT integration guide's config.json, changed only in hosts, ports, ids and secrets (and
// dev_mode, for the virtual player), run by `amora agent --config` against a real Mosquitto and
// the IoT Hub emulator; the guide's mosquitto commands and the stock azure-iothub service client
// drive it.
describeWithBinaries(['mosquitto', 'mosquitto_passwd', 'mosquitto_pub', 'mosquitto_sub'], 'the IoT guide config.json on `amora agent`', (bin) => {
  let dir: string;
  let broker: MosquittoHandle;
  let hub: AzureIotHubEmulator;
  let agent: CliProcess;
  let state$: Observable<Json>;
  let responses$: Observable<Json>;
  const subscribers: ChildProcess[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'amora-seed-config-'));
    const passwords = join(dir, 'passwd');
    execFileSync(bin.mosquitto_passwd, ['-b', '-c', passwords, 'player', 'player-secret']);
    // Anonymous clients (the guide's mosquitto_pub) allowed; the device's own credentials checked.
    [broker, hub] = await Promise.all([
      startMosquitto({ extraConfig: `password_file ${passwords}` }),
      startAzureIotHubEmulator({ port: 0, httpsPort: 0, certDir: dir, devices: [HUB_DEVICE] }),
    ]);
    const config = JSON.parse(await readFile(SEED_CONFIG, 'utf8')) as Json;
    config['broker'] = { ...config['broker'], broker_url: '127.0.0.1', port: broker.port, username: 'player', password: 'player-secret' };
    config['iot'] = { ...config['iot'], connection_string: hub.deviceConnectionString(HUB_DEVICE) };
    config['dev_mode'] = true;
    await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 4));

    const state = subscribe(bin.mosquitto_sub, broker.port, TOPIC('state'));
    const responses = subscribe(bin.mosquitto_sub, broker.port, TOPIC('responses'));
    subscribers.push(state.process, responses.process);
    state$ = state.messages$;
    responses$ = responses.messages$;
    // The emulator's CA is trusted the way a user trusts a private CA: through Node's environment, not the config.
    agent = spawnCli(['agent', '--config', join(dir, 'config.json')], { NODE_EXTRA_CA_CERTS: hub.caPath! });
    await waitFor(state$, (m) => m['state']?.['audio']?.['volume'] === 80);
    await Promise.all([hub.devices.whenSubscribed(HUB_DEVICE, 'methods', 30_000), hub.devices.whenSubscribed(HUB_DEVICE, 'desired', 30_000)]);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    for (const child of subscribers) child.kill();
    await hub?.close();
    await broker?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts with the configured volume, audio and saved queue, under the broker identity, ignoring no key', async () => {
    const first = await waitFor(state$, (m) => m['state']?.['audio']?.['volume'] === 80);
    expect(first['device_id']).toBe(MQTT_DEVICE);
    expect(first['state']).toMatchObject({
      audio: { volume: 80, device: 'default', backend: 'pipewire' },
      playback: { status: 'stopped', playlist: 'Morning Jazz' },
      status: { state: 'stopped', volume: 80, playlist: 'Morning Jazz' },
      system: { version: expect.any(String) },
    });
    expect(agent.stdout).not.toContain('config keys ignored');
  });

  it('plays on the guide\'s mosquitto_pub command, and the state shows playing', async () => {
    await run(bin.mosquitto_pub, [
      '-h', '127.0.0.1', '-p', String(broker.port), '-t', TOPIC('commands'),
      '-m', '{"command":"play","command_id":"test-1","params":{},"timestamp":1620000000}',
    ]);
    expect(await waitFor(responses$, (r) => r['command_id'] === 'test-1')).toMatchObject({ command: 'play', success: true });
    const playing = await waitFor(state$, (m) => m['state']?.['playback']?.['status'] === 'playing');
    expect(playing['state']).toMatchObject({ playback: { current_track: 'Blue in Green' }, status: { state: 'playing', current_song: 'Blue in Green' } });
  });

  it('answers direct methods in the shape the Azure guide\'s client reads', async () => {
    const { client } = serviceSdk(hub);
    const invoke = (methodName: string, payload: object = {}) =>
      client.invokeDeviceMethod(HUB_DEVICE, { methodName, payload, responseTimeoutInSeconds: 30, connectTimeoutInSeconds: 30 });
    const pause = await invoke('pause');
    expect(pause.result).toMatchObject({ status: 200, payload: { result: true, message: 'Playback paused', success: true } });
    const playlists = await invoke('getPlaylists');
    expect(playlists.result.payload).toMatchObject({ result: true, playlists: ['Morning Jazz', 'Focus', 'Road Trip'] });
    const failed = await invoke('next', {}).then(() => invoke('loadPlaylist', { playlist: 'relaxing' }));
    expect(failed.result).toMatchObject({ status: 404, payload: { result: false, message: expect.stringContaining('relaxing'), error: { code: 'not_found' } } });
  });

  it('sends playerStatus device-to-cloud messages as the guide\'s body, naming the hub device', async () => {
    const bodies = () =>
      hub.devices
        .telemetry(HUB_DEVICE)
        .filter((m) => m.contentType === 'application/json' && m.contentEncoding === 'utf-8')
        .map((m) => JSON.parse(m.body.toString('utf8')) as Json);
    // One at start, then one soon after each change: the last one shows the pause of the previous test.
    const { client } = serviceSdk(hub);
    await client.invokeDeviceMethod(HUB_DEVICE, { methodName: 'setVolume', payload: { volume: 33 }, responseTimeoutInSeconds: 30 });
    // Checked on subscription too: the message may have arrived before the wait began.
    await waitFor(hub.devices.telemetry$.pipe(startWith(null)), () => bodies().some((b) => b['status']?.['volume'] === 33));
    const last = bodies().find((b) => b['status']?.['volume'] === 33)!;
    expect(last).toEqual({
      messageType: 'playerStatus',
      deviceId: HUB_DEVICE,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      status: { state: 'playing', volume: 33, current_song: expect.any(String), playlist: 'Morning Jazz' },
    });
    expect(bodies()[0]).toMatchObject({ messageType: 'playerStatus', status: { state: 'stopped', volume: 80 } });
  });

  it('reports both seeds\' twin shapes, and a direct command is not undone by a stale desire', async () => {
    const { registry, client } = serviceSdk(hub);
    const reported = async (check: (reported: Json) => boolean): Promise<Json> => {
      for (;;) {
        const twin = (await registry.getTwin(HUB_DEVICE)).responseBody as unknown as Json;
        if (check(twin['properties']['reported'])) return twin['properties']['reported'] as Json;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    // `*`: the agent reports (and so changes the twin's etag) at any moment; the test only adds desired state.
    const setDesired = (desired: Json) => registry.updateTwin(HUB_DEVICE, { properties: { desired } }, '*');
    await setDesired({ audio: { volume: 70 } });
    const at70 = await reported((r) => r['audio']?.['volume'] === 70);
    expect(at70).toMatchObject({
      audio: { volume: 70, device: 'default', backend: 'pipewire' },
      playback: { status: expect.any(String), playlist: 'Morning Jazz' },
      system: { version: expect.any(String), uptime: expect.any(Number) },
      playlists: ['Morning Jazz', 'Focus', 'Road Trip'],
      status: { volume: 70, playlist: 'Morning Jazz' },
      lastUpdated: expect.stringMatching(/Z$/),
    });

    expect((await client.invokeDeviceMethod(HUB_DEVICE, { methodName: 'setVolume', payload: { volume: 40 }, responseTimeoutInSeconds: 30 })).result.payload).toMatchObject({ result: true });
    // A later desired change, applied after any reaction to the old one, shows the volume stayed.
    await setDesired({ content: { sync_enabled: true } });
    const synced = await reported((r) => r['content']?.['sync_enabled'] === true);
    expect(synced['audio']['volume']).toBe(40);

    await setDesired({ audio: { volume: 55 } });
    await reported((r) => r['audio']?.['volume'] === 55);
  });
});

// The same file with dev_mode as the guide has it (false): the agent drives a real MPD, which
// comes up with a saved queue as a device's MPD does.
describeWithBinaries(['mpd', 'mpc', 'mosquitto', 'mosquitto_pub', 'mosquitto_sub'], 'the IoT guide config.json on a real MPD', (bin) => {
  let dir: string;
  let mpd: MpdHandle;
  let broker: MosquittoHandle;
  let hub: AzureIotHubEmulator;
  let agent: Agent;
  let state: { messages$: Observable<Json>; process: ChildProcess };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-seed-mpd-'));
    [mpd, broker, hub] = await Promise.all([
      startMpd(),
      startMosquitto(),
      startAzureIotHubEmulator({ port: 0, httpsPort: 0, certDir: dir, devices: [HUB_DEVICE] }),
    ]);
    await mpd.mpc('load', 'Morning');
    await mpd.mpc('volume', '20');
    const config = JSON.parse(await readFile(SEED_CONFIG, 'utf8')) as Json;
    config['mpd'] = { ...config['mpd'], host: mpd.host, port: mpd.port };
    config['broker'] = { ...config['broker'], broker_url: `mqtt://127.0.0.1:${broker.port}` };
    config['iot'] = { ...config['iot'], connection_string: hub.deviceConnectionString(HUB_DEVICE) };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config, null, 4));
    state = subscribe(bin.mosquitto_sub, broker.port, TOPIC('state'));
    const loaded = await loadConfigFile(join(dir, 'config.json'), {});
    // In process, the emulator's CA is given to the transport (NODE_EXTRA_CA_CERTS is read at process start).
    const withCa = { ...loaded, transports: loaded.transports.map((t) => (t.kind === 'azure-iot-hub' ? { ...t, ca: hub.caPem } : t)) };
    agent = await buildAgent(withCa, createBuiltinRegistry());
    await agent.start();
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    state?.process.kill();
    await hub?.close();
    await broker?.dispose();
    await mpd?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sets the starting volume, keeps MPD\'s outputs for "default", and plays on the guide\'s command', async () => {
    await waitFor(state.messages$, (m) => m['state']?.['audio']?.['volume'] === 80);
    expect((await mpd.status())['volume']).toBe('80');
    expect((await mpd.mpc('outputs')).trim()).toMatch(/\(null\) is enabled$/);
    expect(agent.state.snapshot.state['audio']).toEqual({ volume: 80, device: 'null', backend: 'pipewire' });
    await run(bin.mosquitto_pub, [
      '-h', '127.0.0.1', '-p', String(broker.port), '-t', TOPIC('commands'),
      '-m', '{"command":"play","command_id":"test-1","params":{},"timestamp":1620000000}',
    ]);
    await waitFor(state.messages$, (m) => m['state']?.['playback']?.['status'] === 'playing');
    expect((await mpd.status())['state']).toBe('play');
  });
});
