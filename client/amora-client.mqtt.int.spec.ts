import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildAgent, parseConfig, type Agent } from '../core/index.js';
import { createBuiltinRegistry } from '../cli/builtins.js';
import { startMosquitto, type MosquittoHandle } from '../test/support/mosquitto.js';
import { describeWithBinaries } from '../test/support/system-deps.js';
import { exerciseGuideClient } from '../test/support/amora-client-scenario.js';
import { AmoraClient } from './index.js';

/**
 * The AmoraSDK guide's client code on a generic MQTT broker: the same app and assertions as over
 * Azure IoT Hub, with the client made by `AmoraClient.mqtt(url, deviceId)`, against Mosquitto and
 * an agent with a virtual player.
 */
describeWithBinaries(['mosquitto'], 'AmoraClient over MQTT (Mosquitto)', (binaries) => {
  let broker: MosquittoHandle;
  let agent: Agent;

  beforeAll(async () => {
    broker = await startMosquitto({ binary: binaries.mosquitto });
    const config = parseConfig({ device: { id: 'player-mq' }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: broker.url }] });
    agent = await buildAgent(config, createBuiltinRegistry());
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await broker?.dispose();
  });

  it('runs the guide app unchanged: commands answer {success, message}, callbacks get PlayerStatus and connection booleans', async () => {
    expect.hasAssertions();
    await exerciseGuideClient(AmoraClient.mqtt(broker.url, 'player-mq'));
  });

  it('answers {success: false} naming the failure when no device answers in time', async () => {
    const client = AmoraClient.mqtt(broker.url, 'nobody-here', {}, { commandTimeoutMs: 300 });
    try {
      const answer = await client.play();
      expect(answer.success).toBe(false);
      expect(answer.message).toMatch(/^Failed to invoke method play: .*no response/);
      expect(await client.getStatus()).toEqual({ state: 'unknown', volume: 0, current_song: null, playlist: null });
    } finally {
      await client.disconnect();
    }
  });
});
