import { BehaviorSubject } from 'rxjs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import { createAgent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { JsonValue } from '../../core/state/json.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { buildMqttInstance, TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';
import { mqttPacketsOf, type SentPacket } from '../support/mqtt-wire.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait-for.js';

const signal = (): AbortSignal => new AbortController().signal;

/** Resumes its caller `count` promise hops later, as an async wrapper or two would. */
async function hops(count: number): Promise<void> {
  for (let hop = 0; hop < count; hop++) await Promise.resolve();
}

// A command whose handler answers at once is answered while its packet is still being handled:
// the response leaves ahead of the command's PUBACK, so the broker forwards it to the caller
// before it turns to the acknowledgement. A handler that takes time does not hold the PUBACK back.
// (That both leave in one write was checked with strace; a relay on the same event loop cannot
// tell one write from two made in the same turn, so this spec checks the order only.)
// At the other end the controller acknowledges an answer only after the caller has resumed.
describeWithBinaries(['mosquitto'], 'the order of a command, its answer and their acknowledgements on MQTT', () => {
  let broker: MosquittoHandle;
  let proxy: TcpProxy;
  const cleanup: (() => Promise<unknown>)[] = [];
  const chunks: Buffer[] = [];
  /** How many chunks the relay has seen, as they come. */
  const relayed$ = new BehaviorSubject(0);

  const profile = {
    name: 'order',
    commands: [
      defineCommand({ name: 'quick', description: 'answers at once', params: z.object({}), handler: () => ({ quick: true }) }),
      defineCommand({
        name: 'slow',
        description: 'answers after a moment',
        params: z.object({}),
        handler: () => new Promise<JsonValue>((resolve) => setTimeout(() => resolve({ slow: true }), 50)),
      }),
    ],
  };

  beforeAll(async () => {
    broker = await startMosquitto({ nodelay: true });
    proxy = await TcpProxy.start(broker.port);
    proxy.onClientData = (chunk) => relayed$.next(chunks.push(chunk));
  });

  afterEach(async () => {
    for (const step of cleanup.splice(0).toReversed()) await step();
  });

  afterAll(async () => {
    await proxy?.close();
    await broker?.dispose();
  });

  for (const protocolVersion of [5, 4] as const) {
    it(`MQTT ${protocolVersion}: a quick answer leaves ahead of the PUBACK; a slow one after it`, async () => {
      const id = `order-v${protocolVersion}`;
      const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: `mqtt://127.0.0.1:${proxy.port}`, retry: TEST_RETRY, protocolVersion }, id);
      const agent = createAgent({ deviceId: id, profile, transports: [transport], system: false });
      cleanup.push(() => agent.stop());
      await agent.start();
      const controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: broker.url, retry: TEST_RETRY, protocolVersion });
      cleanup.push(() => controller.stop());
      await controller.start(signal());

      // On MQTT 3.1.1 the device also acknowledges its own retained messages coming back (no
      // `nl`), so the response is looked for and what follows it checked.
      const sentSince = (from: number): { packets: SentPacket[]; response: number } => {
        const packets = mqttPacketsOf(chunks.slice(from), protocolVersion);
        return { packets, response: packets.findIndex((packet) => packet.topic?.endsWith('/responses')) };
      };

      for (let round = 0; round < 3; round++) {
        const from = chunks.length;
        await expect(controller.invoke(id, 'quick', {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ success: true, result: { quick: true } });
        const { packets, response } = sentSince(from);
        expect(response).toBeGreaterThanOrEqual(0);
        expect(packets[response + 1]).toMatchObject({ type: 'puback' });
      }

      const from = chunks.length;
      await expect(controller.invoke(id, 'slow', {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ success: true, result: { slow: true } });
      const { packets, response } = sentSince(from);
      expect(response).toBeGreaterThan(0);
      expect(packets.slice(0, response)).toContainEqual(expect.objectContaining({ type: 'puback' }));
      expect(packets[response + 1]).toBeUndefined();
    });

    // The controller's side: its caller resumes with the answer before the answer's PUBACK is
    // built and written, so a command sent right away leaves ahead of that PUBACK, also from a
    // caller a few promise hops away (an async wrapper or two, as application code has).
    it(`MQTT ${protocolVersion}: a controller's caller resumes before the answer's PUBACK is sent`, async () => {
      const id = `order-ctl-v${protocolVersion}`;
      const transport = buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, { url: broker.url, retry: TEST_RETRY, protocolVersion }, id);
      const agent = createAgent({ deviceId: id, profile, transports: [transport], system: false });
      cleanup.push(() => agent.stop());
      await agent.start();
      const controller = buildMqttInstance<MqttControllerTransport>(TOKENS.ControllerTransport, { url: `mqtt://127.0.0.1:${proxy.port}`, retry: TEST_RETRY, protocolVersion });
      cleanup.push(() => controller.stop());
      await controller.start(signal());
      const sentSince = (from: number): SentPacket[] => mqttPacketsOf(chunks.slice(from), protocolVersion).filter((packet) => packet.type !== 'other');
      // Each pair starts once every answer before it has been acknowledged on the wire, so the
      // PUBACKs seen are the pair's own.
      const acknowledged = (from: number, count: number): Promise<unknown> =>
        waitFor(relayed$, () => sentSince(from).filter((packet) => packet.type === 'puback').length >= count);
      // The first command subscribes the device's responses topic; the pairs after it are checked.
      const first = chunks.length;
      await expect(controller.invoke(id, 'quick', {}, { timeoutMs: 5_000 })).resolves.toMatchObject({ success: true });
      await acknowledged(first, 1);

      for (const count of [0, 1, 4]) {
        const from = chunks.length;
        const second = await controller
          .invoke(id, 'quick', {}, { timeoutMs: 5_000 })
          .then(() => hops(count))
          .then(() => controller.invoke(id, 'quick', {}, { timeoutMs: 5_000 }));
        expect(second).toMatchObject({ success: true, result: { quick: true } });
        await acknowledged(from, 2);
        const sent = sentSince(from);
        const commands = sent.flatMap((packet, index) => (packet.topic?.endsWith(`/${id}/commands`) ? [index] : []));
        expect(commands, `${count} hops`).toHaveLength(2);
        // Between the two commands the controller acknowledged nothing: the first answer's PUBACK
        // went out behind the second command.
        expect(sent.slice(commands[0]! + 1, commands[1]), `${count} hops`).toEqual([]);
        expect(sent[commands[1]! + 1], `${count} hops`).toMatchObject({ type: 'puback' });
      }
    });
  }
});
