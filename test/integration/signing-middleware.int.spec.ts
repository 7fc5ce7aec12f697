import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { createBuiltinRegistry } from '../../cli/builtins.js';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import { parseConfig } from '../../core/config/parse.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { connectRaw, type RawClient } from '../support/raw-mqtt-client.js';

const DEVICE = 'signed-player-1';
const TOPICS = `amora/devices/${DEVICE}`;
const KEY = 'a-shared-signing-secret-of-32-chars!!';
const SIGNING = {
  kind: 'signing',
  signingKey: { kid: 'fleet-1', key: KEY },
  // The player profile repeats the playback in its `status` section: both are encrypted.
  encrypt: { sections: ['playback', 'status'], telemetry: ['secret'], key: Buffer.alloc(32, 3).toString('base64') },
};

// Signing and encryption through the `middleware` config key: a real agent (virtual player) and
// controller on the embedded broker, and a raw mqtt.js client in the middle where anyone on the
// broker would be.
describe('signed and encrypted messages on MQTT', () => {
  let broker: EmbeddedBroker;
  let agent: Agent;
  let controller: ControllerTransport;
  let wire: RawClient;

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const config = (id: string) =>
      parseConfig({ device: { id }, transports: [{ kind: 'mqtt', url, protocolVersion: 4 }], middleware: [SIGNING], system: { enabled: false } });
    wire = await connectRaw(url);
    await wire.subscribe(`${TOPICS}/#`);
    agent = await buildAgent(config(DEVICE), createBuiltinRegistry());
    await agent.start();
    controller = await buildController(config('controller'), createBuiltinRegistry());
    await controller.start(new AbortController().signal);
    await wire.next((topic) => topic === `${TOPICS}/state`);
  }, 30_000);

  afterAll(async () => {
    await controller?.stop();
    await agent?.stop();
    await wire?.end();
    await broker?.close();
  });

  it('runs a signed command from the controller and verifies the signed answer', async () => {
    const response = await controller.invoke(DEVICE, 'setVolume', { volume: 33 }, { timeoutMs: 10_000 });
    expect(response).toMatchObject({ success: true, command: 'setVolume' });
    expect(response).not.toHaveProperty('amora_sig');
    const onWire = await wire.next((topic, text) => topic === `${TOPICS}/responses` && text.includes(response.command_id));
    expect(JSON.parse(onWire.text)).toHaveProperty('amora_sig');
  });

  it('refuses a tampered command with unauthorized, and the handler never runs', async () => {
    await controller.invoke(DEVICE, 'setVolume', { volume: 20 }, { timeoutMs: 10_000, commandId: 'original-1' });
    const signed = await wire.next((topic, text) => topic === `${TOPICS}/commands` && text.includes('original-1'));
    const tampered = JSON.parse(signed.text) as { command_id: string; params: Record<string, unknown> };
    tampered.command_id = 'tampered-1';
    tampered.params['volume'] = 100;
    await wire.publish(`${TOPICS}/commands`, JSON.stringify(tampered));
    const answer = await wire.next((topic, text) => topic === `${TOPICS}/responses` && text.includes('tampered-1'));
    expect(JSON.parse(answer.text)).toMatchObject({ success: false, error: { code: 'unauthorized' } });
    await expect.poll(async () => ((await controller.getState(DEVICE))?.state['audio'] as { volume?: number } | undefined)?.volume, { timeout: 10_000 }).toBe(20);
  });

  it('refuses a replay of a signed command it already ran', async () => {
    await controller.invoke(DEVICE, 'setVolume', { volume: 25 }, { timeoutMs: 10_000, commandId: 'replayed-1' });
    await controller.invoke(DEVICE, 'setVolume', { volume: 26 }, { timeoutMs: 10_000 });
    const captured = await wire.next((topic, text) => topic === `${TOPICS}/commands` && text.includes('replayed-1'));
    await wire.publish(`${TOPICS}/commands`, captured.text);
    const answers = (): { text: string }[] => wire.received.filter((m) => m.topic === `${TOPICS}/responses` && m.text.includes('replayed-1'));
    const answer = await wire.next(() => answers().length === 2).then(() => answers()[1]!);
    expect(JSON.parse(answer.text)).toMatchObject({ success: false, error: { code: 'unauthorized', message: 'command refused: command replayed' } });
    await expect.poll(async () => ((await controller.getState(DEVICE))?.state['audio'] as { volume?: number } | undefined)?.volume, { timeout: 10_000 }).toBe(26);
  });

  it('refuses an unsigned command such as a plain mosquitto_pub', async () => {
    await wire.publish(`${TOPICS}/commands`, '{"command":"play","command_id":"unsigned-1","params":{},"timestamp":1620000000}');
    const answer = await wire.next((topic, text) => topic === `${TOPICS}/responses` && text.includes('unsigned-1'));
    expect(JSON.parse(answer.text)).toMatchObject({ success: false, error: { code: 'unauthorized', message: 'command refused: command is not signed' } });
  });

  it('applies signed desired state and drops an unsigned one', async () => {
    await wire.publish(`${TOPICS}/desired`, '{"audio":{"volume":90}}');
    await controller.setDesired(DEVICE, { audio: { volume: 44 } });
    await expect.poll(async () => ((await controller.getState(DEVICE))?.state['audio'] as { volume?: number } | undefined)?.volume, { timeout: 10_000 }).toBe(44);
    const volumes = wire.received
      .filter((m) => m.topic === `${TOPICS}/state`)
      .map((m) => (JSON.parse(m.text) as { state: { audio?: { volume?: number } } }).state.audio?.volume);
    expect(volumes).not.toContain(90);
  });

  it('keeps the encrypted section unreadable on the wire and readable to the controller', async () => {
    await controller.invoke(DEVICE, 'loadPlaylist', { playlist: 'Morning Jazz' }, { timeoutMs: 10_000 });
    // The state follows the answer: wait for the controller to see it.
    await expect.poll(async () => (await controller.getState(DEVICE))?.state['playback'], { timeout: 10_000 }).toMatchObject({ playlist: 'Morning Jazz' });
    const published = JSON.parse(wire.received.filter((m) => m.topic === `${TOPICS}/state`).at(-1)!.text) as { state: Record<string, unknown> };
    expect(published.state).toMatchObject({ playback: { amora_jwe: expect.any(String) }, status: { amora_jwe: expect.any(String) }, amora_sig: expect.any(String) });
    // The name is in the list of playlists (not a secret); which one plays is.
    expect(JSON.stringify(published.state)).not.toContain('"playlist":"Morning Jazz"');
  });

  it('shows signed telemetry with its encrypted key opened, and drops a forged record, counted and reported', async () => {
    const stream = firstValueFrom(controller.telemetry$!(DEVICE, 'metrics').pipe(take(2), toArray()));
    const refusal = firstValueFrom(controller.refused$!.pipe(filter((r) => r.what === 'telemetry')));
    agent.emitTelemetry('metrics', { cpu: 12, secret: 'door code 4711' }, { immediate: true });
    const genuine = await wire.next((topic, text) => topic === `${TOPICS}/telemetry/metrics` && text.includes('"cpu":12'));
    expect(genuine.text).not.toContain('4711');
    // Someone on the broker resends the device's record with a changed value, then an unsigned one.
    const forged = JSON.parse(genuine.text) as { records: { id?: string; data: Record<string, unknown> }[] };
    forged.records[0]!.data['cpu'] = 99;
    await wire.publish(`${TOPICS}/telemetry/metrics`, JSON.stringify(forged));
    await wire.publish(`${TOPICS}/telemetry/metrics`, JSON.stringify({ device_id: DEVICE, kind: 'metrics', records: [{ data: { cpu: 98 }, timestamp: Date.now() }] }));
    agent.emitTelemetry('metrics', { cpu: 13 }, { immediate: true });
    const shown = await stream;
    expect(shown.map((batch) => batch.records.map((record) => record.data))).toEqual([[{ cpu: 12, secret: 'door code 4711' }], [{ cpu: 13 }]]);
    expect(await refusal).toMatchObject({ deviceId: DEVICE, kind: 'metrics', reason: 'signature does not match', total: 1 });
  });

  it('opens the states of a whole fleet too: a forged retained state is not shown', async () => {
    const fleet = firstValueFrom(controller.fleetStates$!().pipe(filter((message) => message.device_id === DEVICE), take(1)));
    expect((await fleet).state).not.toHaveProperty('amora_sig');
    const refusal = firstValueFrom(controller.refused$!.pipe(filter((r) => r.what === 'state')));
    const states: unknown[] = [];
    const watching = controller.state$(DEVICE).subscribe((message) => states.push(message.state));
    await wire.publish(`${TOPICS}/state`, JSON.stringify({ device_id: DEVICE, state: { audio: { volume: 1 } }, version: 999_999, timestamp: Date.now() }));
    expect(await refusal).toMatchObject({ deviceId: DEVICE, reason: 'state is not signed' });
    watching.unsubscribe();
    expect(states).not.toContainEqual({ audio: { volume: 1 } });
  });
});
