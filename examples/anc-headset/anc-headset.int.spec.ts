import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { loadConfigFile } from '../../core/node.js';
import { SdkClient } from '../../test/integration/aws-support.js';
import { ensureCliBuilt } from '../../test/integration/cli-build.js';
import { spawnCli } from '../../test/integration/cli-process.js';
import { DataSyncOrchestrator } from './data-sync-orchestrator.js';

const SEED_FILE = fileURLToPath(new URL('anc.json', import.meta.url));
const THING = 'anc-device-it';

type Seed = { iot: Record<string, unknown>; telemetry: Record<string, unknown>; shadow: Record<string, unknown> };

/** The document's config file with only the thing name, endpoint, port and certificate paths changed. */
async function seedFileFor(emulator: AwsIotEmulator, thing: string, dir: string): Promise<string> {
  const seed = JSON.parse(await readFile(SEED_FILE, 'utf8')) as Seed;
  const credentials = await emulator.createThing(thing);
  const iot = { ...seed.iot, thing_name: thing, endpoint: emulator.endpoint, cert_path: credentials.certPath, key_path: credentials.keyPath, root_ca_path: emulator.caPath, port: emulator.mqttPort };
  const file = join(dir, `${thing}.json`);
  await writeFile(file, JSON.stringify({ ...seed, iot }, null, 2));
  return file;
}

interface ShadowDocument {
  readonly current?: { readonly state?: { readonly reported?: Record<string, unknown> } };
}

/**
 * The ANC document's system as a user runs it: its JSON config file, the DataSyncOrchestrator
 * operations, the AWS IoT emulator and the real aws-iot-device-sdk-v2 on both sides (the headset's
 * transport, and a probe standing in for the cloud's rules and applications).
 */
describe('the ANC headset on AWS IoT (emulator)', () => {
  let dir: string;
  let emulator: AwsIotEmulator;
  let probe: SdkClient;
  let orchestrator: DataSyncOrchestrator;
  const shadow = `$aws/things/${THING}/shadow`;

  const reportedWhere = async (predicate: (reported: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    const document = await probe.nextJson<ShadowDocument>(`${shadow}/update/documents`, (body) => predicate((body as ShadowDocument).current?.state?.reported ?? {}));
    return document.current!.state!.reported!;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amora-anc-'));
    emulator = await startAwsIotEmulator({ certDir: join(dir, 'emulator'), things: [THING] });
    probe = await SdkClient.connect(emulator, 'anc-cloud-probe');
    await probe.subscribe(`anc/devices/${THING}/#`, `anc/telemetry/${THING}/#`, `${shadow}/update/documents`);
    const config = await loadConfigFile(await seedFileFor(emulator, THING, dir), {});
    orchestrator = new DataSyncOrchestrator({ config, firmwareVersion: '1.2.3' });
    await orchestrator.start();
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await probe?.disconnect();
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says online on anc/devices/{id}/status and reports the shadow fields of the document', async () => {
    expect(await probe.nextJson(`anc/devices/${THING}/status`)).toMatchObject({ kind: 'status', records: [{ data: { status: 'online', device_id: THING } }] });
    const reported = await reportedWhere((state) => state['device_id'] === THING);
    expect(reported).toMatchObject({ status: 'online', firmware_version: '1.2.3', anc_enabled: false, anc_algorithm: 'nlms', emergency_detected: false });
    expect(typeof reported['uptime']).toBe('number');
    expect(reported['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(orchestrator.getStatus()).toMatchObject({ thing_name: THING, running: true, connected: true, telemetry: { batch_size: 10, batch_interval_ms: 30_000 } });
  });

  it('updates the ANC state into the shadow and refuses an intensity out of range', async () => {
    orchestrator.updateAncState({ enabled: true, intensity: 0.85, algorithm: 'nlms' });
    expect(await reportedWhere((state) => state['anc_intensity'] === 0.85)).toMatchObject({ anc_enabled: true, anc_algorithm: 'nlms' });
    expect(() => orchestrator.updateAncState({ intensity: 1.5 })).toThrow(expect.objectContaining({ code: 'invalid_params' }));
  });

  it('reports an emergency at once on anc/devices/{id}/emergency, and the flag in the shadow', async () => {
    const event = { is_emergency: true, predicted_class: 'fire_alarm', confidence: 0.94, action: 'anc_bypassed' };
    orchestrator.reportEmergency(event);
    expect(await probe.nextJson(`anc/devices/${THING}/emergency`)).toMatchObject({ device_id: THING, kind: 'emergency', records: [{ data: event }] });
    await reportedWhere((state) => state['emergency_detected'] === true);
  });

  it('sends metrics on anc/telemetry/{id}/anc in batches of the configured size, and mirrors battery and noise class in the shadow', async () => {
    const after = probe.received.length;
    for (let n = 0; n < 20; n++) orchestrator.publishMetrics({ ancMetrics: { latency_ms: 35 + n, cancellation_db: 42.5, snr_improvement_db: 38.2 } });
    const topic = `anc/telemetry/${THING}/anc`;
    const first = await probe.nextJson<{ records: { data: { latency_ms: number } }[] }>(topic, () => true, after);
    const second = await probe.nextJson<{ records: { data: { latency_ms: number } }[] }>(topic, (body) => body !== undefined && (body as typeof first).records[0]?.data.latency_ms === 45, after);
    expect(first.records.map((record) => record.data.latency_ms)).toEqual([35, 36, 37, 38, 39, 40, 41, 42, 43, 44]);
    expect(second.records).toHaveLength(10);

    orchestrator.publishMetrics({ audioMetrics: { noise_type: 'office', confidence: 0.94, rms: 0.45 }, systemMetrics: { battery_level: 85, cpu_usage: 45.2, memory_usage: 68.5 } });
    expect(await reportedWhere((state) => state['battery_level'] === 85)).toMatchObject({ noise_type: 'office', confidence: 0.94 });
  });

  it('applies desired ANC values from the shadow delta and answers commands on anc/devices/{id}/commands', async () => {
    await probe.shadowRequest(shadow, 'update', { state: { desired: { anc_intensity: 0.9, anc_algorithm: 'fxlms' } } });
    expect(await reportedWhere((state) => state['anc_intensity'] === 0.9)).toMatchObject({ anc_algorithm: 'fxlms' });

    await probe.publish(`anc/devices/${THING}/commands`, { command: 'updateAncState', command_id: 'c-1', params: { enabled: false } });
    expect(await probe.nextJson(`anc/devices/${THING}/responses`, (body) => body['command_id'] === 'c-1')).toMatchObject({ success: true, result: { anc_enabled: false } });
    await probe.publish(`anc/devices/${THING}/commands`, { command: 'updateAncState', command_id: 'c-2', params: { intensity: 2 } });
    expect(await probe.nextJson(`anc/devices/${THING}/responses`, (body) => body['command_id'] === 'c-2')).toMatchObject({
      success: false,
      error: { code: 'invalid_params', details: { field: 'intensity' } },
    });
  });

  it('sends the batches still waiting (errors, system metrics) when it stops, then says offline', async () => {
    const after = probe.received.length;
    orchestrator.publishError({ code: 'dsp_overrun', message: 'DSP buffer overrun' });
    orchestrator.publishSystemMetrics({ battery_level: 84 });
    await orchestrator.stop();
    expect(await probe.nextJson(`anc/telemetry/${THING}/errors`, () => true, after)).toMatchObject({ records: [{ data: { code: 'dsp_overrun' } }] });
    // The system metrics of the previous test waited for their batch (10 records or 30 s) until now.
    const system = await probe.nextJson<{ records: { data: { battery_level: number } }[] }>(`anc/telemetry/${THING}/system`, () => true, after);
    expect(system.records.map((record) => record.data.battery_level)).toEqual([85, 84]);
    expect(await probe.nextJson(`anc/devices/${THING}/status`, (body) => JSON.stringify(body).includes('offline'), after)).toMatchObject({
      records: [{ data: { status: 'offline' } }],
    });
  });

  it('runs as `amora agent --config` on the same kind of file, with the headset profile chosen by the environment', async () => {
    const main = await ensureCliBuilt();
    const thing = 'anc-device-cli';
    const file = await seedFileFor(emulator, thing, dir);
    const documents = `$aws/things/${thing}/shadow/update/documents`;
    await probe.subscribe(documents, `anc/devices/${thing}/connection`);

    // As it is: the default profile (a virtual music player) on the document's topics and shadow.
    const plain = spawnCli(['agent', '--config', file]);
    try {
      await plain.stderrLine((line) => line.includes('"agent running"'));
      expect(await probe.nextJson(`anc/devices/${thing}/connection`, (body) => body['status'] === 'online')).toMatchObject({ device_id: thing });
      await probe.next(documents, (body) => (body as ShadowDocument).current?.state?.reported?.['playback'] !== undefined);
    } finally {
      await plain.stop('SIGTERM');
    }

    // The headset itself: the example's profile plugin, named through AMORA_* variables only.
    const after = probe.received.length;
    const plugin = join(dirname(main), '..', 'examples', 'anc-headset', 'plugin.js');
    const headset = spawnCli(['agent', '--config', file], { AMORA_DEVICE_PROFILE: 'anc-headset', AMORA__plugins__0: plugin });
    try {
      await headset.stderrLine((line) => line.includes('"agent running"'));
      await probe.shadowRequest(`$aws/things/${thing}/shadow`, 'update', { state: { desired: { anc_enabled: true, anc_intensity: 0.7 } } });
      const reported = await probe.nextJson<ShadowDocument>(documents, (body) => (body as ShadowDocument).current?.state?.reported?.['anc_intensity'] === 0.7, after);
      expect(reported.current?.state?.reported).toMatchObject({ anc_enabled: true, anc_algorithm: 'nlms', status: 'online', device_id: thing });
    } finally {
      await headset.kill();
    }
  });
});
