import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { MqttControllerTransport } from '../../adapters/mqtt/controller-transport.js';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { parseMqttOptions } from '../../adapters/mqtt/options.js';
import { createAgent, defineCommand, type Agent, type AgentHealth } from '../../core/index.js';
import { startMosquitto, type MosquittoHandle } from '../support/mosquitto.js';
import { TEST_RETRY } from '../support/mqtt-harness.js';
import { describeWithBinaries } from '../support/system-deps.js';

/**
 * Defect: the seeds expect a device to fail over to a standby broker, but a transport took one
 * URL. With `urls: [primary, standby]` the agent moves to the standby when the primary dies
 * (kill -9), shows the active broker in its health, and a controller on the standby sees it
 * online and commands it.
 */

const WAIT_MS = 20_000;
const profile = {
  name: 'standby',
  commands: [defineCommand({ name: 'echo', description: 'answers its value', params: z.strictObject({ value: z.number() }), handler: ({ value }) => ({ value }) })],
};

function endpointIs(agent: Agent, url: string): Promise<AgentHealth> {
  return firstValueFrom(
    agent.health$.pipe(
      filter((health) => health.components['mqtt']?.state === 'online' && health.components['mqtt']?.endpoint === url),
      timeout(WAIT_MS),
    ),
  );
}

describeWithBinaries(['mosquitto'], 'a standby broker (two Mosquittos)', () => {
  let primary: MosquittoHandle;
  let standby: MosquittoHandle;
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [primary, standby] = await Promise.all([startMosquitto(), startMosquitto()]);
  });
  afterAll(async () => {
    for (const stop of stops.toReversed()) await stop().catch(() => undefined);
    await Promise.all([primary?.dispose(), standby?.dispose()]);
  });

  it('moves to the standby when the primary is killed, says so in health, and is commanded there', async () => {
    const device = new MqttDeviceTransport(
      parseMqttOptions({ urls: [primary.url, standby.url], retry: TEST_RETRY, keepaliveSeconds: 2 }),
      'mqtt',
      'standby-dev',
      undefined,
      undefined,
      undefined,
      undefined,
    );
    const agent = createAgent({ deviceId: 'standby-dev', profile, transports: [device], system: false });
    stops.push(() => agent.stop());
    await agent.start();
    await endpointIs(agent, primary.url);

    const controller = new MqttControllerTransport(parseMqttOptions({ url: standby.url, retry: TEST_RETRY }), 'ctl', undefined, undefined, undefined, undefined);
    stops.push(() => controller.stop());
    await controller.start(new AbortController().signal);
    const presence = controller.connection$('standby-dev');

    await primary.kill();
    await endpointIs(agent, standby.url);
    await firstValueFrom(presence.pipe(filter((state) => state === 'online'), timeout(WAIT_MS)));
    const answer = await controller.invoke('standby-dev', 'echo', { value: 42 }, { timeoutMs: WAIT_MS });
    expect(answer).toMatchObject({ success: true, result: { value: 42 } });
  }, 60_000);
});
