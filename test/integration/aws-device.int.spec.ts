import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { createCertificateAuthority, createDeviceCertificate } from '../../adapters/aws-iot/emulator/certificates.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions, type AwsIotOptionsInput } from '../../adapters/aws-iot/options.js';
import type { JsonObject } from '../../core/state/json.js';
import type { StateSnapshot } from '../../core/state/snapshot.js';
import type { DesiredUpdate } from '../../core/transport/device-transport.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';
import { SdkClient, statusIs } from './aws-support.js';

/** Quick reconnects keep the suite short; jitter and backoff are the policy's own unit tests. */
const quickRetry: RetryPolicy = { shouldRetry: () => true, nextRetryTimeout: () => 100 };
const noRetry: RetryPolicy = { shouldRetry: () => false, nextRetryTimeout: () => 100 };

let emulator: AwsIotEmulator;
let probe: SdkClient;
const transports: AwsIotDeviceTransport[] = [];

beforeAll(async () => {
  emulator = await startAwsIotEmulator();
  probe = await SdkClient.connect(emulator, 'test-probe', 'test-probe');
});

afterAll(async () => {
  await Promise.all(transports.map((transport) => transport.stop()));
  await probe?.disconnect();
  await emulator?.close();
});

async function device(thingName: string, extra: Partial<AwsIotOptionsInput> = {}, retry = quickRetry): Promise<AwsIotDeviceTransport> {
  const credentials = await emulator.createThing(thingName);
  const options = parseAwsIotOptions({
    endpoint: emulator.endpoint,
    port: emulator.mqttPort,
    certPath: credentials.certPath,
    keyPath: credentials.keyPath,
    caPath: emulator.caPath,
    operationTimeoutMs: 5_000,
    ...extra,
  });
  const transport = new AwsIotDeviceTransport(options, 'aws-iot', thingName, undefined, retry, undefined);
  transports.push(transport);
  return transport;
}

let version = 0;
function snapshot(state: JsonObject): StateSnapshot {
  return { state, version: ++version, timestamp: Date.now(), metadata: {} };
}

const shadow = (thing: string): string => `$aws/things/${thing}/shadow`;

async function getShadow(thing: string): Promise<Record<string, unknown>> {
  const answer = await probe.shadowRequest(shadow(thing), 'get');
  return answer.body;
}

describe('AwsIotDeviceTransport on the emulator (mqtt link, mutual TLS)', () => {
  it('connects, announces itself online and reports only what changed, with a clientToken and the version', async () => {
    const thing = 'dev-report';
    await probe.subscribe(`${shadow(thing)}/update`, `amora/devices/${thing}/connection`);
    const transport = await device(thing);
    await transport.start(new AbortController().signal);
    expect((await statusIs(transport.status$, 'online')).state).toBe('online');
    const online = await probe.nextJson(`amora/devices/${thing}/connection`, (body) => body['status'] === 'online');
    expect(online).toMatchObject({ device_id: thing, status: 'online' });

    await transport.publishState(snapshot({ audio: { volume: 30, backend: 'virtual' }, playlists: ['a'] }), {});
    const mark = probe.received.length;
    await transport.publishState(snapshot({ audio: { volume: 31, backend: 'virtual' }, playlists: ['a'] }), { audio: { volume: 31 } });
    // The first report may reach the probe after `mark` (PUBACK comes from the broker, not the probe): wait for the second.
    const update = await probe.nextJson(
      `${shadow(thing)}/update`,
      (body) => ((body['state'] as { reported?: { audio?: { volume?: number } } } | undefined)?.reported?.audio?.volume ?? 0) === 31,
      mark,
    );
    expect(update).toMatchObject({ state: { reported: { audio: { volume: 31 } } }, version: 1 });
    expect(Object.keys((update['state'] as { reported: JsonObject }).reported)).toEqual(['audio']);
    expect(update['clientToken']).toEqual(expect.any(String));

    expect(await getShadow(thing)).toMatchObject({ state: { reported: { audio: { volume: 31, backend: 'virtual' }, playlists: ['a'] } }, version: 2 });
  });

  it('restores its retained presence when another client retains `offline` over it', async () => {
    const thing = 'dev-presence-guard';
    const topic = `amora/devices/${thing}/connection`;
    await probe.subscribe(topic);
    const transport = await device(thing);
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    await probe.next(topic, (body) => body['status'] === 'online');
    const mark = probe.received.length;
    await probe.publish(topic, { device_id: thing, status: 'offline', reason: 'graceful', timestamp: 1 }, true);
    const seen = probe.received.indexOf(await probe.next(topic, (body) => body['status'] === 'offline', mark));
    await probe.next(topic, (body) => body['status'] === 'online', seen + 1);
    const late = await SdkClient.connect(emulator, 'late-presence-probe', `late-presence-${Date.now().toString(36)}`);
    try {
      await late.subscribe(topic);
      expect(await late.nextJson(topic)).toMatchObject({ device_id: thing, status: 'online' });
    } finally {
      await late.disconnect();
    }
  });

  it('passes desired state on from delta, and from a GET after every connect', async () => {
    const thing = 'dev-desired';
    const transport = await device(thing);
    const seen: DesiredUpdate[] = [];
    transport.desired$.subscribe((update) => seen.push(update));
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    expect(seen[0]).toEqual({ patch: {}, full: true });

    await transport.publishState(snapshot({ audio: { volume: 30 } }), {});
    const next = firstValueFrom(transport.desired$);
    emulator.updateShadow({ thingName: thing }, { state: { desired: { audio: { volume: 40 } } } });
    expect(await next).toMatchObject({ patch: { audio: { volume: 40 } } });
  });

  it('applies a desired change made while it was offline after reconnecting, and still receives commands', async () => {
    const thing = 'dev-offline';
    await probe.subscribe(`amora/devices/${thing}/connection`);
    const transport = await device(thing);
    const desired: DesiredUpdate[] = [];
    transport.desired$.subscribe((update) => desired.push(update));
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    await transport.publishState(snapshot({ audio: { volume: 30 } }), {});

    // Refuse reconnects while the change is made, so it really happens while the device is away.
    emulator.setCertificateActive(thing, false);
    const lostWill = probe.nextJson(`amora/devices/${thing}/connection`, (body) => body['status'] === 'offline');
    expect(emulator.dropClient(thing)).toBe(true);
    await statusIs(transport.status$, 'offline', true);
    expect(await lostWill).toMatchObject({ status: 'offline', reason: 'lost' });
    emulator.updateShadow({ thingName: thing }, { state: { desired: { audio: { volume: 55 } } } });
    emulator.setCertificateActive(thing, true);

    await statusIs(transport.status$, 'online');
    expect(desired.at(-1)).toMatchObject({ patch: { audio: { volume: 55 } }, full: true });

    // The subscription the v2 SDK is known to lose on reconnect still delivers.
    const command = firstValueFrom(transport.commands$);
    await probe.publish(`amora/devices/${thing}/commands`, { command: 'getStatus', command_id: 'after-reconnect', params: {} });
    const inbound = await command;
    expect(JSON.parse(new TextDecoder().decode(inbound.payload as Uint8Array))).toMatchObject({ command_id: 'after-reconnect' });
  });

  it('resolves a 409 from a concurrent update by re-reading the shadow and retrying with the new version', async () => {
    const thing = 'dev-conflict';
    const transport = await device(thing);
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    await transport.publishState(snapshot({ audio: { volume: 30 }, playback: { status: 'stopped' } }), {});
    await probe.subscribe(`${shadow(thing)}/update/rejected`);

    // A controller's update wins the race: it lands just before the device's update.
    emulator.setBeforeShadowUpdate((address) => {
      if (address.thingName !== thing) return;
      emulator.setBeforeShadowUpdate(undefined);
      emulator.updateShadow(address, { state: { reported: { playback: { status: 'paused' } }, desired: { mode: 'x' } } });
    });
    const rejected = probe.nextJson(`${shadow(thing)}/update/rejected`);
    await transport.publishState(snapshot({ audio: { volume: 35 }, playback: { status: 'stopped' } }), { audio: { volume: 35 } });
    expect(await rejected).toMatchObject({ code: 409, message: 'Version conflict' });

    // The retry sent what differs from the re-read shadow: the volume, and playback back to ours.
    expect(await getShadow(thing)).toMatchObject({
      state: { reported: { audio: { volume: 35 }, playback: { status: 'stopped' } }, desired: { mode: 'x' } },
      version: 3,
    });
  });

  it('refuses a state that would take the shadow over 8 KB before sending, and offloads configured sections', async () => {
    const thing = 'dev-large';
    await probe.subscribe(`amora/telemetry/${thing}/state-playlists`);
    const transport = await device(thing, { shadow: { offloadSections: ['playlists'] } });
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');
    await transport.publishState(snapshot({ audio: { volume: 1 } }), {});

    const big = snapshot({ audio: { volume: 1 }, library: { blob: 'x'.repeat(9000) } });
    await expect(transport.publishState(big, { library: { blob: 'x' } })).rejects.toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining('largest sections: library'),
    });
    expect(await getShadow(thing)).toMatchObject({ state: { reported: { audio: { volume: 1 } } }, version: 1 });

    const playlists = Array.from({ length: 400 }, (_, i) => `playlist number ${i}`);
    await transport.publishState(snapshot({ audio: { volume: 2 }, playlists }), { audio: { volume: 2 }, playlists });
    const offloaded = await probe.nextJson<{ records: { data: unknown }[] }>(`amora/telemetry/${thing}/state-playlists`);
    expect(offloaded.records[0]!.data).toEqual(playlists);
    const stored = await getShadow(thing);
    expect((stored['state'] as { reported: JsonObject }).reported).toEqual({ audio: { volume: 2 } });
  });

  it('carries commands, responses and telemetry on the Amora topics', async () => {
    const thing = 'dev-commands';
    await probe.subscribe(`amora/devices/${thing}/responses`, `amora/telemetry/${thing}/+`);
    const transport = await device(thing);
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');

    const inbound = firstValueFrom(transport.commands$);
    await probe.publish(`amora/devices/${thing}/commands`, { command: 'play', command_id: 'c-1', params: {} });
    const command = await inbound;
    await transport.respond(command, { command_id: 'c-1', command: 'play', success: true, timestamp: 1 });
    expect(await probe.nextJson(`amora/devices/${thing}/responses`)).toEqual({ command_id: 'c-1', command: 'play', success: true, timestamp: 1 });

    await transport.publishTelemetry({ kind: 'metrics', records: [{ kind: 'metrics', data: { cpu: 3 }, timestamp: 5 }] });
    expect(await probe.nextJson(`amora/telemetry/${thing}/metrics`)).toEqual({ device_id: thing, kind: 'metrics', records: [{ data: { cpu: 3 }, timestamp: 5 }] });
  });

  it('keeps responses made while offline in a bounded, reported outbox and sends them after reconnecting', async () => {
    const thing = 'dev-outbox';
    await probe.subscribe(`amora/devices/${thing}/responses`);
    const transport = await device(thing, { telemetry: { maxBufferSize: 2 } });
    await transport.start(new AbortController().signal);
    await statusIs(transport.status$, 'online');

    emulator.setCertificateActive(thing, false);
    emulator.dropClient(thing);
    await statusIs(transport.status$, 'offline', true);
    for (const id of ['o-1', 'o-2', 'o-3']) {
      await transport.respond({ payload: undefined }, { command_id: id, command: 'play', success: true, timestamp: 1 });
    }
    const reported = await firstValueFrom(transport.status$.pipe(filter((status) => status.outbox?.dropped === 1)));
    expect(reported.outbox).toEqual({ queued: 2, dropped: 1 });
    emulator.setCertificateActive(thing, true);
    await statusIs(transport.status$, 'online');
    expect(await probe.nextJson(`amora/devices/${thing}/responses`, (body) => body['command_id'] === 'o-3')).toMatchObject({ command_id: 'o-3' });
    expect(probe.received.filter((m) => m.topic === `amora/devices/${thing}/responses`).map((m) => JSON.parse(m.text).command_id)).toEqual(['o-2', 'o-3']);
  });

  it('refuses an unknown certificate and says what to check', async () => {
    const foreign = createCertificateAuthority('Some other CA');
    const pair = await createDeviceCertificate(foreign, 'intruder');
    const certPath = join(emulator.certDir, 'intruder.pem');
    const keyPath = join(emulator.certDir, 'intruder.key');
    await writeFile(certPath, pair.certPem);
    await writeFile(keyPath, pair.keyPem);
    const options = parseAwsIotOptions({ endpoint: emulator.endpoint, port: emulator.mqttPort, certPath, keyPath, caPath: emulator.caPath, thingName: 'intruder' });
    const transport = new AwsIotDeviceTransport(options, 'aws-iot', 'intruder', undefined, noRetry, undefined);
    transports.push(transport);
    const states: string[] = [];
    transport.status$.subscribe((status) => states.push(status.state));
    await transport.start(new AbortController().signal);
    const status = await statusIs(transport.status$, 'offline', true);
    expect(status.error?.message).toMatch(/cannot connect to localhost:\d+: .*certificate is registered/);
    expect(states).toEqual(['offline', 'connecting', 'offline']);
    expect(emulator.clientIds()).not.toContain('intruder');
  });
});
