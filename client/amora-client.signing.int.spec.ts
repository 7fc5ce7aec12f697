import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../adapters/mqtt/embedded-broker.js';
import { createBuiltinRegistry } from '../cli/builtins.js';
import { buildAgent, parseConfig, type Agent } from '../core/index.js';
import { startMosquitto } from '../test/support/mosquitto.js';
import { connectRaw, type RawClient } from '../test/support/raw-mqtt-client.js';
import { describeWithBinaries } from '../test/support/system-deps.js';
import { AmoraClient, type ClientRefusal, type PlayerStatus } from './index.js';

const KEY = 'the-client-signing-secret-of-32-chars!';
const SIGNING = {
  kind: 'signing',
  signingKey: { kid: 'fleet-1', key: KEY },
  // The player profile repeats the playback in the guide's `status` section: both are encrypted.
  encrypt: { sections: ['playback', 'status'], key: Buffer.alloc(32, 6).toString('base64') },
};

interface Broker {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * AmoraClient with the signing middleware, "the other way" from the device: its commands are
 * signed and its answers and states verified, against an agent (virtual player) with the same
 * `middleware` section, on a real broker with a raw mqtt.js client where anyone on it would be.
 */
function signedClientSuite(deviceId: string, startBroker: () => Promise<Broker>): void {
  const topics = `amora/devices/${deviceId}`;
  let broker: Broker;
  let agent: Agent;
  let client: AmoraClient;
  let wire: RawClient;
  const statuses: PlayerStatus[] = [];
  const refusals: ClientRefusal[] = [];

  beforeAll(async () => {
    broker = await startBroker();
    wire = await connectRaw(broker.url);
    await wire.subscribe(`${topics}/#`);
    const config = parseConfig({ device: { id: deviceId }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: broker.url }], middleware: [SIGNING] });
    agent = await buildAgent(config, createBuiltinRegistry());
    await agent.start();
    client = AmoraClient.mqtt(broker.url, deviceId, {}, { middleware: [SIGNING], commandTimeoutMs: 10_000 });
    client.onStatusUpdate((status) => statuses.push(status));
    client.onRefused((refusal) => refusals.push(refusal));
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.disconnect();
    await agent?.stop();
    await wire?.end();
    await broker?.close();
  });

  it('signs its commands and takes the signed answers', async () => {
    expect(await client.setVolume(33)).toEqual({ success: true, message: 'Volume set to 33' });
    const sent = await wire.next((topic, text) => topic === `${topics}/commands` && text.includes('"volume":33'));
    expect(JSON.parse(sent.text)).toMatchObject({ command: 'setVolume', params: { volume: 33, amora_sig: expect.any(String) } });
    await expect.poll(async () => (await client.getStatus()).volume, { timeout: 10_000 }).toBe(33);
  });

  it('a command of its changed on the way is refused unauthorized and never runs', async () => {
    await client.setVolume(20);
    const signed = await wire.next((topic, text) => topic === `${topics}/commands` && text.includes('"volume":20'));
    // The answer can arrive before the state it changed: see 20 first, so a 100 later can only be the tampered command's.
    await expect.poll(async () => (await client.getStatus()).volume, { timeout: 10_000 }).toBe(20);
    const tampered = JSON.parse(signed.text) as { command_id: string; params: Record<string, unknown> };
    tampered.command_id = `tampered-${deviceId}`;
    tampered.params['volume'] = 100;
    await wire.publish(`${topics}/commands`, JSON.stringify(tampered));
    const answer = await wire.next((topic, text) => topic === `${topics}/responses` && text.includes(tampered.command_id));
    expect(JSON.parse(answer.text)).toMatchObject({ success: false, error: { code: 'unauthorized', message: 'command refused: signature does not match' } });
    expect((await client.getStatus()).volume).toBe(20);
  });

  it('a command of its sent again (a replay) is refused unauthorized', async () => {
    await client.setVolume(25);
    const captured = await wire.next((topic, text) => topic === `${topics}/commands` && text.includes('"volume":25'));
    await client.setVolume(26);
    const { command_id: commandId } = JSON.parse(captured.text) as { command_id: string };
    await wire.publish(`${topics}/commands`, captured.text);
    // The first answer went to the client (its own response topic on MQTT 5, or here); the replay's comes here.
    const answer = await wire.next((topic, text) => topic === `${topics}/responses` && text.includes(commandId) && text.includes('unauthorized'));
    expect(answer.text).toContain('command refused: command replayed');
    await expect.poll(async () => (await client.getStatus()).volume, { timeout: 10_000 }).toBe(26);
  });

  it('reads the encrypted playback section that is unreadable on the wire', async () => {
    expect(await client.play()).toMatchObject({ success: true });
    await expect.poll(async () => client.getStatus(), { timeout: 10_000 }).toMatchObject({ state: 'playing', playlist: expect.any(String) });
    const { playlist, current_song: song } = await client.getStatus();
    expect(song).toEqual(expect.any(String));
    const published = JSON.parse(wire.received.filter((m) => m.topic === `${topics}/state`).at(-1)!.text) as { state: Record<string, unknown> };
    expect(published.state).toMatchObject({ playback: { amora_jwe: expect.any(String) }, status: { amora_jwe: expect.any(String) }, amora_sig: expect.any(String) });
    // The playlist's name is in the device's list of playlists, not a secret; what plays is.
    expect(JSON.stringify(published)).not.toContain(String(song));
    expect(JSON.stringify(published)).not.toContain(`"playlist":"${playlist}"`);
  });

  it('refuses a forged state: never shown as the status, reported unauthorized', async () => {
    const genuine = JSON.parse(wire.received.filter((m) => m.topic === `${topics}/state`).at(-1)!.text) as { state: { audio: { volume: number } }; version: number };
    const changed = structuredClone(genuine);
    changed.state.audio.volume = 1;
    changed.version += 1000;
    await wire.publish(`${topics}/state`, JSON.stringify(changed));
    await wire.publish(`${topics}/state`, JSON.stringify({ device_id: deviceId, state: { audio: { volume: 2 } }, version: changed.version + 1, timestamp: Date.now() }));
    await expect.poll(() => refusals.filter((r) => r.what === 'state').map((r) => r.reason), { timeout: 10_000 }).toEqual(['signature does not match', 'state is not signed']);
    expect(refusals[0]).toMatchObject({ code: 'unauthorized', deviceId, what: 'state', total: 1 });
    expect(statuses.map((s) => s.volume)).not.toContain(1);
    expect(statuses.map((s) => s.volume)).not.toContain(2);
    expect((await client.getStatus()).volume).toBe(26);
  });

  it('refuses a forged answer with a coded error', async () => {
    // No agent runs for this id: the only answer is a stranger's, unsigned. MQTT 3.1.1, so the
    // client waits on the device's responses topic, where the stranger can write.
    const ghost = `${deviceId}-ghost`;
    const victim = AmoraClient.mqtt(broker.url, ghost, { protocolVersion: 4 }, { middleware: [SIGNING], commandTimeoutMs: 10_000 });
    const stranger = await connectRaw(broker.url);
    try {
      await stranger.subscribe(`amora/devices/${ghost}/commands`);
      const answered = stranger.next(() => true).then(async (command) => {
        const { command_id: commandId } = JSON.parse(command.text) as { command_id: string };
        await stranger.publish(`amora/devices/${ghost}/responses`, JSON.stringify({ command_id: commandId, command: 'play', success: true, timestamp: Date.now() }));
      });
      const answer = await victim.play();
      await answered;
      expect(answer).toEqual({ success: false, code: 'unauthorized', message: 'response refused: response is not signed' });
    } finally {
      await victim.disconnect();
      await stranger.end();
    }
  });
}

describe('AmoraClient signing and verifying on the embedded broker (aedes)', () => {
  signedClientSuite('signed-client-aedes', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    return { url: `mqtt://127.0.0.1:${broker.port}`, close: () => broker.close() };
  });
});

describeWithBinaries(['mosquitto'], 'AmoraClient signing and verifying on Mosquitto', (binaries) => {
  signedClientSuite('signed-client-mosquitto', async () => {
    const broker = await startMosquitto({ binary: binaries.mosquitto });
    return { url: broker.url, close: () => broker.dispose() };
  });
});
