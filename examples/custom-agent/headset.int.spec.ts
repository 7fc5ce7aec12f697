import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { filter, firstValueFrom, fromEvent, map, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildController, loadConfigFile, type ControllerTransport, type DeviceStateMessage, type JsonValue } from '../../core/node.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/node.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startHeadsetAgent, transportRegistry, type HeadsetAgent } from './headset-agent.js';

const DEVICE = 'headset-it';

/** The reported state as the tests read it. */
interface HeadsetView {
  readonly anc?: { readonly mode?: string; readonly level?: number };
  readonly battery?: { readonly level?: number };
}

/**
 * The example's own config file and code, on the embedded broker: a controller drives the
 * headset (command round trips, coded refusals, desired state) and a plain MQTT client sees its
 * state, presence and telemetry. The simulation runs on a manual clock.
 */
describe('the ANC headset agent over MQTT', () => {
  let broker: EmbeddedBroker;
  let running: HeadsetAgent;
  let controller: ControllerTransport;
  let backend: MqttClient;
  const clock = new ManualClock();

  const stateWhere = (predicate: (state: HeadsetView) => boolean): Promise<DeviceStateMessage> =>
    firstValueFrom(controller.state$(DEVICE).pipe(filter((message) => predicate(message.state as HeadsetView))));

  /** Telemetry records of one kind as a backend receives them, from now on. */
  function telemetry(kind: string): Observable<JsonValue> {
    const topic = `amora/devices/${DEVICE}/telemetry/${kind}`;
    return fromEvent(backend, 'message', (received: string, payload: Buffer) => ({ received, payload })).pipe(
      filter(({ received }) => received === topic),
      map(({ payload }) => (JSON.parse(payload.toString()) as { records: { data: JsonValue }[] }).records[0]!.data),
    );
  }

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    const env = { AMORA_DEVICE_ID: DEVICE, MQTT_URL: `mqtt://127.0.0.1:${broker.port}` };
    const config = await loadConfigFile(join(dirname(fileURLToPath(import.meta.url)), 'agent.yaml'), env);
    const registry = transportRegistry();
    running = await startHeadsetAgent({ config, registry, clock, metricsIntervalMs: 10_000 });
    controller = await buildController(config, registry);
    await controller.start(new AbortController().signal);
    await firstValueFrom(controller.status$.pipe(filter((status) => status.state === 'online')));
    backend = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4 });
    await backend.subscribeAsync(`amora/devices/${DEVICE}/telemetry/+`, { qos: 1 });
  });

  afterAll(async () => {
    await backend?.endAsync();
    await controller?.stop();
    await running?.stop();
    await broker?.close();
  });

  it('reports the headset state and its presence', async () => {
    const message = await stateWhere((state) => state.anc !== undefined);
    expect(message.state).toMatchObject({ anc: { mode: 'off', level: 5 }, battery: { level: 100, charging: false }, system: { version: '0.0.0' } });
    expect(await firstValueFrom(controller.connection$(DEVICE).pipe(filter((presence) => presence !== 'unknown')))).toBe('online');
  });

  it('runs commands from a controller and reports their effect', async () => {
    expect(await controller.invoke(DEVICE, 'setAncMode', { mode: 'on' })).toMatchObject({ success: true, result: { mode: 'on' } });
    expect(await controller.invoke(DEVICE, 'setAncLevel', { level: 8 })).toMatchObject({ success: true, result: { level: 8 } });
    await stateWhere((state) => state.anc?.mode === 'on' && state.anc?.level === 8);
    const status = await controller.invoke(DEVICE, 'getStatus');
    expect(status).toMatchObject({ success: true, result: { anc: { mode: 'on', level: 8 }, battery: { level: 100 } } });
  });

  it('refuses bad parameters naming the field, and a level while ANC is off with conflict', async () => {
    expect(await controller.invoke(DEVICE, 'setAncLevel', { level: 11 })).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'level' } } });
    expect(await controller.invoke(DEVICE, 'setAncMode', { mode: 'loud' })).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'mode' } } });
    expect(await controller.invoke(DEVICE, 'setAncMode', { mode: 'on', volume: 3 })).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'volume' } } });
    expect(await controller.invoke(DEVICE, 'setAncMode', { mode: 'off' })).toMatchObject({ success: true });
    expect(await controller.invoke(DEVICE, 'setAncLevel', { level: 3 })).toMatchObject({ success: false, error: { code: 'conflict' } });
    expect(await controller.invoke(DEVICE, 'selfDestruct')).toMatchObject({ success: false, error: { code: 'unknown_command' } });
  });

  it('moves towards desired ANC set by a controller', async () => {
    await controller.setDesired(DEVICE, { anc: { mode: 'transparency', level: 2 } });
    // Two reconcile steps, mode then level: wait for the second.
    const reconciled = await stateWhere((state) => state.anc?.level === 2);
    expect(reconciled.state['anc']).toEqual({ mode: 'transparency', level: 2 });
  });

  it('sends an emergency at once, metrics on their interval, and a draining battery', async () => {
    const emergency = firstValueFrom(telemetry('emergency'));
    running.headset.pressSos();
    expect(await emergency).toEqual({ type: 'sos' });

    const metrics = firstValueFrom(telemetry('metrics'));
    clock.advance(10_000);
    expect(await metrics).toEqual({ battery_level: 100, charging: false, anc_mode: 'transparency', anc_level: 2 });

    clock.advance(20_000);
    await stateWhere((state) => state.battery?.level === 98);
  });

  it('raises battery_critical once when the battery runs low', async () => {
    const critical = firstValueFrom(telemetry('emergency'));
    clock.advance(30_000 * 47);
    expect(await critical).toEqual({ type: 'battery_critical', level: 4 });
    await stateWhere((state) => state.battery?.level === 4);
  });
});
