import { CreateThingCommand, IoTClient, ThrottlingException } from '@aws-sdk/client-iot';
import { Agent } from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';

let emulator: AwsIotEmulator;

beforeAll(async () => {
  // Three calls of burst, then (practically) none: the fourth is throttled whatever the machine's speed.
  emulator = await startAwsIotEmulator({ controlPlaneRate: { perSecond: 0.001, burst: 3 } });
});

afterAll(async () => {
  await emulator?.close();
});

it('answers control-plane calls over the configured rate with ThrottlingException, as AWS does', async () => {
  const iot = new IoTClient({
    endpoint: emulator.httpsEndpoint,
    region: emulator.region,
    credentials: emulator.credentials,
    // The SDK retries throttled calls by itself; one attempt shows the answer.
    maxAttempts: 1,
    requestHandler: { httpsAgent: new Agent({ ca: emulator.caPem }) },
  });
  for (const thingName of ['t-1', 't-2', 't-3']) await iot.send(new CreateThingCommand({ thingName }));
  const throttled = iot.send(new CreateThingCommand({ thingName: 't-4' }));
  await expect(throttled).rejects.toBeInstanceOf(ThrottlingException);
  await expect(throttled).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  iot.destroy();
});
