import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../adapters/aws-iot/emulator/emulator.js';
import { createBuiltinRegistry } from '../cli/builtins.js';
import { buildAgent, parseConfig, type Agent } from '../core/index.js';
import { exerciseGuideClient } from '../test/support/amora-client-scenario.js';
import { AmoraClient } from './index.js';

const DEVICE = 'player-aws';

/**
 * The AmoraSDK guide's client code on AWS IoT Core: the same app and assertions as over Azure IoT
 * Hub and MQTT, with the client made by `AmoraClient.awsIot({...}, deviceId)` with its own
 * certificate, against the emulator and an agent with a virtual player (the real
 * aws-iot-device-sdk-v2 on both ends).
 */
describe('AmoraClient on AWS IoT Core (emulator)', () => {
  let emulator: AwsIotEmulator;
  let agent: Agent;

  beforeAll(async () => {
    emulator = await startAwsIotEmulator({ things: [DEVICE] });
    const device = await emulator.createThing(DEVICE);
    const config = parseConfig({
      device: { id: DEVICE },
      player: { kind: 'virtual' },
      transports: [{ kind: 'aws-iot', endpoint: emulator.endpoint, port: emulator.mqttPort, certPath: device.certPath, keyPath: device.keyPath, caPath: emulator.caPath }],
    });
    agent = await buildAgent(config, createBuiltinRegistry());
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await emulator?.close();
  });

  it('runs the guide app unchanged: commands answer {success, message}, callbacks get PlayerStatus and connection booleans', async () => {
    expect.hasAssertions();
    const app = await emulator.createThing('player-app');
    const client = AmoraClient.awsIot(
      {
        endpoint: emulator.endpoint,
        port: emulator.mqttPort,
        certPath: app.certPath,
        keyPath: app.keyPath,
        caPath: emulator.caPath,
        controller: { httpsEndpoint: emulator.httpsEndpoint, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } },
      },
      DEVICE,
    );
    await exerciseGuideClient(client);
  });
});
