import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeThingCommand,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
} from '@aws-sdk/client-iot';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { controlPlaneClient, SdkClient } from './aws-support.js';

/** The emulator is restarted on the same certificate directory, as `amora emulate aws` is between sessions. */
let certDir: string;
let emulator: AwsIotEmulator | undefined;

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'amora-aws-restart-'));
});

afterAll(async () => {
  await emulator?.close();
  await rm(certDir, { recursive: true, force: true });
});

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'], Resource: '*' }],
});

it('keeps what the control plane made across a restart: the thing, its certificate and policy, and the device connects again', async () => {
  emulator = await startAwsIotEmulator({ certDir, things: ['local-thing'] });
  let iot = controlPlaneClient(emulator);
  await iot.send(new CreateThingCommand({ thingName: 'kept', attributePayload: { attributes: { site: 'berlin' } } }));
  const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new AttachThingPrincipalCommand({ thingName: 'kept', principal: keys.certificateArn! }));
  await iot.send(new CreatePolicyCommand({ policyName: 'all', policyDocument: POLICY }));
  await iot.send(new AttachPolicyCommand({ policyName: 'all', target: keys.certificateArn! }));
  iot.destroy();
  await emulator.close();
  expect((await stat(join(certDir, 'control-plane.json'))).mode & 0o077).toBe(0);

  emulator = await startAwsIotEmulator({ certDir });
  iot = controlPlaneClient(emulator);
  expect(await iot.send(new DescribeThingCommand({ thingName: 'kept' }))).toMatchObject({ attributes: { site: 'berlin' }, version: 1 });
  expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'kept' }))).principals).toEqual([keys.certificateArn]);
  expect((await iot.send(new ListAttachedPoliciesCommand({ target: keys.certificateArn }))).policies?.map((policy) => policy.policyName)).toEqual(['all']);
  // The emulator's own --thing keeps its one certificate (from its files), not a second.
  expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'local-thing' }))).principals).toHaveLength(1);
  iot.destroy();

  const device = await SdkClient.connectWithPem(emulator, keys.certificatePem!, keys.keyPair!.PrivateKey!, 'kept');
  await device.disconnect();
});
