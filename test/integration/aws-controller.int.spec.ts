import { GetThingShadowCommand, ResourceNotFoundException } from '@aws-sdk/client-iot-data-plane';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotControllerTransport } from '../../adapters/aws-iot/controller-transport.js';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions, type AwsIotOptionsInput } from '../../adapters/aws-iot/options.js';
import type { RetryPolicy } from '../../core/transport/retry-policy.js';
import { dataPlaneClient, statusIs } from './aws-support.js';

const quickRetry: RetryPolicy = { shouldRetry: () => true, nextRetryTimeout: () => 100 };

let emulator: AwsIotEmulator;
const stoppers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  emulator = await startAwsIotEmulator();
});

afterAll(async () => {
  for (const stop of stoppers.toReversed()) await stop();
  await emulator?.close();
});

async function options(thingName: string, extra: Partial<AwsIotOptionsInput> = {}): Promise<ReturnType<typeof parseAwsIotOptions>> {
  const credentials = await emulator.createThing(thingName);
  return parseAwsIotOptions({
    endpoint: emulator.endpoint,
    port: emulator.mqttPort,
    certPath: credentials.certPath,
    keyPath: credentials.keyPath,
    caPath: emulator.caPath,
    ...extra,
    controller: {
      httpsEndpoint: emulator.httpsEndpoint,
      credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' },
      ...extra.controller,
    },
  });
}

async function startDevice(thingName: string, extra: Partial<AwsIotOptionsInput> = {}): Promise<AwsIotDeviceTransport> {
  const device = new AwsIotDeviceTransport(await options(thingName, extra), 'aws-iot', thingName, undefined, quickRetry, undefined);
  stoppers.push(() => device.stop());
  await device.start(new AbortController().signal);
  await statusIs(device.status$, 'online');
  return device;
}

async function startController(extra: Partial<AwsIotOptionsInput> = {}): Promise<AwsIotControllerTransport> {
  const controller = new AwsIotControllerTransport(await options('ctl-backend', extra), 'aws-iot', undefined, quickRetry, undefined);
  stoppers.push(() => controller.stop());
  await controller.start(new AbortController().signal);
  await statusIs(controller.status$, 'online');
  return controller;
}

describe('AwsIotControllerTransport on the emulator', () => {
  it('works on a named shadow, leaving the classic one alone', async () => {
    const thing = 'ctl-named';
    const device = await startDevice(thing, { shadowName: 'player' });
    const controller = await startController({ shadowName: 'player' });
    const desired = firstValueFrom(device.desired$.pipe(filter((update) => update.full !== true)));
    await controller.setDesired(thing, { audio: { volume: 12 } });
    expect((await desired).patch).toEqual({ audio: { volume: 12 } });

    await device.publishState({ state: { audio: { volume: 12 } }, version: 1, timestamp: Date.now(), metadata: {} }, {});
    expect(await controller.getState(thing)).toMatchObject({ device_id: thing, state: { audio: { volume: 12 } } });
    const rest = dataPlaneClient(emulator);
    try {
      await expect(rest.send(new GetThingShadowCommand({ thingName: thing }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    } finally {
      rest.destroy();
    }
  });

  it('follows reported state through shadow documents, the latest first for a late subscriber', async () => {
    const thing = 'ctl-documents';
    const device = await startDevice(thing);
    const controller = await startController();
    await device.publishState({ state: { n: 1 }, version: 1, timestamp: Date.now(), metadata: {} }, {});
    const states = controller.state$(thing);
    expect((await firstValueFrom(states)).state).toEqual({ n: 1 });
    const next = firstValueFrom(states.pipe(filter((m) => m.state['n'] === 2)));
    await device.publishState({ state: { n: 2 }, version: 2, timestamp: Date.now(), metadata: {} }, { n: 2 });
    const message = await next;
    expect(message.version).toBeGreaterThan(1);
    expect(Math.abs(message.timestamp - Date.now())).toBeLessThan(60_000);
    expect((await firstValueFrom(states)).state).toEqual({ n: 2 });
  });

  it('sends commands over the REST Publish API when asked to, and receives telemetry', async () => {
    const thing = 'ctl-http';
    const device = await startDevice(thing);
    device.commands$.subscribe((command) => {
      const request = JSON.parse(new TextDecoder().decode(command.payload as Uint8Array)) as { command: string; command_id: string };
      void device.respond(command, { command_id: request.command_id, command: request.command, success: true, result: { via: 'http' }, timestamp: Date.now() });
    });
    const controller = await startController({ controller: { commandPublish: 'http' } });
    expect(await controller.invoke(thing, 'ping', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { via: 'http' } });

    const batch = firstValueFrom(controller.telemetry$(thing, 'metrics'));
    // Let the subscription reach the broker: the next command's round trip passes after it.
    await controller.invoke(thing, 'ping', {}, { timeoutMs: 5_000 });
    await device.publishTelemetry({ kind: 'metrics', records: [{ kind: 'metrics', data: { cpu: 1 }, timestamp: 1 }] });
    expect(await batch).toEqual({ device_id: thing, kind: 'metrics', records: [{ data: { cpu: 1 }, timestamp: 1 }] });
  });

  it('rejects a waiting invoke with closed when stopped', async () => {
    const controller = await startController();
    const pending = controller.invoke('ctl-nobody', 'ping', {}, { timeoutMs: 10_000 }).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    await controller.stop();
    expect(await pending).toMatchObject({ name: 'TransportError', code: 'closed' });
  });
});
