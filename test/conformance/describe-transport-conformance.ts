// The suite is declared for a harness chosen by the caller, so its title is not a literal.
/* oxlint-disable vitest/valid-title */
import type { Observable } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createAgent, type Agent } from '../../core/agent/agent.js';
import type { CommandResponse } from '../../core/commands/types.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import type { TransportHarness } from './harness.js';
import { Recorder, waitFor, within } from './recorder.js';
import { conformanceProfile, type ConformanceProfile } from './test-profile.js';

/** A started agent with its transport and profile. */
interface RunningDevice {
  readonly id: string;
  readonly agent: Agent;
  readonly transport: DeviceTransport;
  readonly profile: ConformanceProfile;
}

const DISPATCHER_MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * The transport conformance suite: every transport family, built-in or third-party, runs the same
 * tests against its own infrastructure (MQTT.js's abstract store suite is the model). Each test
 * runs a real Agent with a small profile on a fresh device id, and watches it through the
 * harness's controller transport.
 */
export function describeTransportConformance(name: string, harness: TransportHarness): void {
  const eventTimeoutMs = harness.eventTimeoutMs ?? 10_000;
  const wait = <T,>(source: Observable<T>, what: string, predicate: (value: T) => boolean): Promise<T> =>
    waitFor(source, what, predicate, eventTimeoutMs);
  /** Skips (visibly, with the reason) a test whose harness hook is missing. */
  const needs = (context: TestContext, hook: keyof TransportHarness): void => {
    if (harness[hook] === undefined) context.skip(`the ${name} harness provides no ${hook}()`);
  };

  describe(`transport conformance: ${name}`, () => {
    let controller: ControllerTransport;
    const running = new Set<RunningDevice>();
    const controllers = new Set<ControllerTransport>();
    let sequence = 0;


    async function startController(): Promise<ControllerTransport> {
      const started = await harness.createControllerTransport();
      controllers.add(started);
      await started.start(new AbortController().signal);
      await wait(started.status$, 'the controller to be online', (status) => status.state === 'online');
      return started;
    }

    async function startDevice(): Promise<RunningDevice> {
      const id = `conf-${process.pid}-${Date.now().toString(36)}-${++sequence}`;
      const transport = await harness.createDeviceTransport(id);
      const profile = conformanceProfile();
      const agent = createAgent({
        deviceId: id,
        profile,
        transports: [transport],
        system: false,
        telemetry: { batchSize: 1 },
        stopTimeoutMs: 2_000,
      });
      const device = { id, agent, transport, profile };
      running.add(device);
      await agent.start();
      await wait(transport.status$, `device ${id} to be online`, (status) => status.state === 'online');
      return device;
    }

    function invoke(device: RunningDevice, command: string, params: Record<string, unknown> = {}, commandId?: string): Promise<CommandResponse> {
      return controller.invoke(device.id, command, params as never, {
        timeoutMs: eventTimeoutMs,
        ...(commandId === undefined ? {} : { commandId }),
      });
    }

    beforeAll(async () => {
      await harness.setup?.();
      controller = await startController();
    });

    afterEach(async () => {
      await Promise.all([...running].map((device) => device.agent.stop()));
      running.clear();
      const extra = [...controllers].filter((c) => c !== controller);
      await Promise.all(extra.map((c) => c.stop()));
      for (const c of extra) controllers.delete(c);
    });

    afterAll(async () => {
      await controller?.stop();
      await harness.teardown?.();
    });

    it('carries reported state to the controller', async () => {
      const device = await startDevice();
      const states = new Recorder(controller.state$(device.id), eventTimeoutMs);
      device.profile.report({ value: 1 });
      const message = await states.wait('state value 1', (m) => m.state['value'] === 1);
      states.stop();
      expect(message.device_id).toBe(device.id);
      expect(message.version).toBeGreaterThan(0);
    });

    it('gives a late controller the retained state, and undefined for an unknown device', async () => {
      const device = await startDevice();
      device.profile.report({ value: 'late' });
      await wait(controller.state$(device.id), 'state "late"', (m) => m.state['value'] === 'late');
      const late = await startController();
      expect((await late.getState(device.id))?.state).toEqual({ value: 'late' });
      expect(await late.getState(`${device.id}-never-reported`)).toBeUndefined();
    });

    it('runs a command and returns its result', async () => {
      const device = await startDevice();
      const response = await invoke(device, 'echo', { value: 'hi' }, `${device.id}-echo`);
      expect(response).toMatchObject({ command_id: `${device.id}-echo`, command: 'echo', success: true, result: { value: 'hi' } });
    });

    it('answers unknown_command, invalid_params naming the field, handler_failed and timeout', async () => {
      const device = await startDevice();
      const [unknown, invalid, failed, slow] = await Promise.all([
        invoke(device, 'no-such-command'),
        invoke(device, 'echo', { value: { nested: true } }),
        invoke(device, 'fail'),
        invoke(device, 'slow'),
      ]);
      expect(unknown).toMatchObject({ success: false, error: { code: 'unknown_command' } });
      expect(invalid).toMatchObject({ success: false, error: { code: 'invalid_params', details: { field: 'value' } } });
      expect(failed).toMatchObject({ success: false, error: { code: 'handler_failed' } });
      expect(slow).toMatchObject({ success: false, error: { code: 'timeout' } });
    });

    it('rejects invoke with a TimeoutError when nobody answers', async () => {
      await expect(controller.invoke(`conf-${process.pid}-nobody`, 'echo', { value: 1 }, { timeoutMs: 300 })).rejects.toMatchObject({
        name: 'TimeoutError',
        code: 'timeout',
      });
    });

    it('answers a repeated command_id with the first answer without running it again', async () => {
      const device = await startDevice();
      const first = await invoke(device, 'counter', {}, `${device.id}-once`);
      const second = await invoke(device, 'counter', {}, `${device.id}-once`);
      expect(second).toEqual(first);
      expect(device.profile.counterRuns()).toBe(1);
      expect(await invoke(device, 'counter')).toMatchObject({ success: true, result: { count: 2 } });
    });

    it('announces offline on a graceful stop', async () => {
      const device = await startDevice();
      const presence = new Recorder(controller.connection$(device.id), eventTimeoutMs);
      await presence.wait('online', (p) => p === 'online');
      await device.agent.stop();
      await presence.wait('offline after stop', (p) => p === 'offline');
      presence.stop();
      expect(presence.values).toContain('offline');
    });

    it('lists the device among devices$ with its presence', async () => {
      const device = await startDevice();
      const devices = new Recorder(controller.devices$(), eventTimeoutMs);
      await devices.wait(`${device.id} online`, (list) => list.some((d) => d.deviceId === device.id && d.presence === 'online'));
      await device.agent.stop();
      const after = await devices.wait(`${device.id} offline`, (list) => list.some((d) => d.deviceId === device.id && d.presence === 'offline'));
      devices.stop();
      expect(after.filter((d) => d.deviceId === device.id)).toHaveLength(1);
    });

    it('reports an abrupt loss as offline, then reconnects and resyncs state and commands', async (context) => {
      needs(context, 'dropConnection');
      const device = await startDevice();
      device.profile.report({ value: 'before' });
      await wait(controller.state$(device.id), 'state "before"', (m) => m.state['value'] === 'before');
      const presence = new Recorder(controller.connection$(device.id), eventTimeoutMs);
      const online = await presence.next('online', (p) => p === 'online');
      await harness.dropConnection!(device.transport);
      // A change while the connection is down must reach the controller after the reconnect.
      device.profile.report({ value: 'after' });
      const offline = await presence.next('offline (last will)', (p) => p === 'offline', online.index + 1);
      await presence.next('online again', (p) => p === 'online', offline.index + 1);
      presence.stop();
      await wait(controller.state$(device.id), 'state "after"', (m) => m.state['value'] === 'after');
      expect(await invoke(device, 'echo', { value: 'again' })).toMatchObject({ success: true, result: { value: 'again' } });
    });

    it('comes back after a broker restart: online, state republished, commands served', async (context) => {
      needs(context, 'restartBroker');
      const device = await startDevice();
      device.profile.report({ value: 'kept' });
      await wait(controller.state$(device.id), 'state "kept"', (m) => m.state['value'] === 'kept');
      // Recorded from before the restart, so "online again" cannot be the stale status from before it.
      const deviceStatus = new Recorder(device.transport.status$, eventTimeoutMs);
      const controllerStatus = new Recorder(controller.status$, eventTimeoutMs);
      await harness.restartBroker!();
      for (const [status, who] of [[deviceStatus, 'device'], [controllerStatus, 'controller']] as const) {
        const lost = await status.next(`the ${who} to notice the restart`, (s) => s.state !== 'online');
        await status.next(`the ${who} to be online again`, (s) => s.state === 'online', lost.index + 1);
        status.stop();
      }
      const fresh = await startController();
      await wait(fresh.state$(device.id), 'the republished state', (m) => m.state['value'] === 'kept');
      expect(await fresh.invoke(device.id, 'echo', { value: 'restarted' }, { timeoutMs: eventTimeoutMs })).toMatchObject({
        success: true,
        result: { value: 'restarted' },
      });
    });

    it('delivers telemetry', async (context) => {
      needs(context, 'subscribeTelemetry');
      const device = await startDevice();
      const subscription = await harness.subscribeTelemetry!(device.id, 'metrics');
      try {
        const batches = new Recorder(subscription.batches$, eventTimeoutMs);
        device.agent.emitTelemetry('metrics', { n: 1 });
        const batch = await batches.wait('a metrics batch', (b) => b.records.some((r) => (r.data as { n?: number }).n === 1));
        batches.stop();
        expect(batch.kind).toBe('metrics');
        expect(batch.records[0]?.timestamp).toBeTypeOf('number');
      } finally {
        await subscription.close();
      }
    });

    it('survives malformed commands and answers those it can address', async (context) => {
      needs(context, 'sendRawCommand');
      const device = await startDevice();
      const send = (deviceId: string, payload: string | Uint8Array, commandId?: string): Promise<CommandResponse | undefined> =>
        within(harness.sendRawCommand!(deviceId, payload, commandId), eventTimeoutMs, `the answer to raw command ${commandId ?? '(none)'}`);
      const id = (suffix: string): string => `${device.id}-${suffix}`;

      await send(device.id, '{"command":"echo","command_id":');
      await send(device.id, new Uint8Array([0xff, 0xfe, 0x00]));
      await send(device.id, '[1,2,3]');
      const wrongType = await send(device.id, JSON.stringify({ command: 5, command_id: id('type') }), id('type'));
      expect(wrongType).toMatchObject({ success: false, error: { code: 'invalid_params' } });
      const badParams = await send(device.id, JSON.stringify({ command: 'echo', command_id: id('params'), params: [1] }), id('params'));
      expect(badParams).toMatchObject({ success: false, error: { code: 'invalid_params' } });
      const proto = await send(device.id, `{"command":"echo","command_id":"${id('proto')}","params":{"value":1,"__proto__":{"polluted":true}}}`, id('proto'));
      expect(proto).toMatchObject({ success: false, error: { code: 'invalid_params' } });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

      const size = harness.oversizedPayloadBytes ?? Math.max(device.transport.capabilities.maxPayloadBytes, DISPATCHER_MAX_PAYLOAD_BYTES) + 1024;
      const head = `{"command":"echo","command_id":"${id('big')}","params":{"value":"`;
      const oversized = `${head}${'x'.repeat(size - head.length - 4)}"}}`;
      const big = await send(device.id, oversized, id('big'));
      expect(big).toMatchObject({ success: false, error: { code: 'payload_too_large' } });

      expect(await invoke(device, 'echo', { value: 'still here' })).toMatchObject({ success: true, result: { value: 'still here' } });
    });
  });
}
