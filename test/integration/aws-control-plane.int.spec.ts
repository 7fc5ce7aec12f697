import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CertificateStateException,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  GetThingConnectivityDataCommand,
  InvalidRequestException,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
  MalformedPolicyException,
  paginateListThings,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  UpdateCertificateCommand,
  VersionConflictException,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { GetThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AwsIotControllerTransport } from '../../adapters/aws-iot/controller-transport.js';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions } from '../../adapters/aws-iot/options.js';
import { createAgent } from '../../core/agent/agent.js';
import { defineCommand } from '../../core/commands/types.js';
import { blobText, controlPlaneClient, dataPlaneClient, SdkClient, statusIs } from './aws-support.js';

let emulator: AwsIotEmulator;
let iot: IoTClient;
let dir: string;

beforeAll(async () => {
  emulator = await startAwsIotEmulator();
  iot = controlPlaneClient(emulator);
  dir = await mkdtemp(join(tmpdir(), 'amora-aws-control-plane-'));
});

afterAll(async () => {
  iot?.destroy();
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The least-privilege device policy: each certificate may act only as its own thing. */
const DEVICE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*' },
  ],
});

/** The policy of docs/aws-iot.md ("Setting up a real account"), with the account and region as wildcards. */
const ME = '${iot:Connection.Thing.ThingName}';
const TOPIC = 'arn:aws:iot:*:*:topic';
const FILTER = 'arn:aws:iot:*:*:topicfilter';
const GUIDE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/${ME}` },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:RetainPublish'], Resource: [`${TOPIC}/$aws/things/${ME}/shadow/*`, `${TOPIC}/amora/devices/${ME}/*`, `${TOPIC}/amora/telemetry/${ME}/*`] },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`${FILTER}/$aws/things/${ME}/shadow/*`, `${FILTER}/amora/devices/${ME}/commands`, `${FILTER}/amora/devices/${ME}/connection`] },
    { Effect: 'Allow', Action: 'iot:Receive', Resource: [`${TOPIC}/$aws/things/${ME}/shadow/*`, `${TOPIC}/amora/devices/${ME}/commands`, `${TOPIC}/amora/devices/${ME}/connection`] },
  ],
};

/** A policy allowing every MQTT action except subscribing to `denied`. */
function everythingBut(denied: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Connect', 'iot:Publish', 'iot:Receive', 'iot:Subscribe'], Resource: '*' },
      { Effect: 'Deny', Action: 'iot:Subscribe', Resource: `${FILTER}/${denied}` },
    ],
  };
}

/** CreateThing, CreateKeysAndCertificate, AttachThingPrincipal and (unless `policy` is null) AttachPolicy. */
async function provision(thingName: string, policy: string | null = 'device-policy'): Promise<{ certificateArn: string; certificateId: string; certificatePem: string; privateKey: string }> {
  await iot.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { model: 'amp-1' } } }));
  const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: keys.certificateArn! }));
  if (policy !== null) await iot.send(new AttachPolicyCommand({ policyName: policy, target: keys.certificateArn! }));
  return { certificateArn: keys.certificateArn!, certificateId: keys.certificateId!, certificatePem: keys.certificatePem!, privateKey: keys.keyPair!.PrivateKey! };
}

/**
 * An agent answering `echo` as `thingName`, and a controller whose certificate has `policy`
 * (`controller` adds to its controller options); both started. Returns what stops them.
 */
async function answeringPair(thingName: string, controllerThing: string, policy: string, controller: Record<string, unknown> = {}) {
  const keys = await provision(controllerThing, policy);
  const certPath = join(dir, `${controllerThing}.cert.pem`);
  const keyPath = join(dir, `${controllerThing}.private.key`);
  await writeFile(certPath, keys.certificatePem);
  await writeFile(keyPath, keys.privateKey, { mode: 0o600 });
  const device = await emulator.createThing(thingName);
  const deviceOptions = parseAwsIotOptions({ endpoint: emulator.endpoint, port: emulator.mqttPort, certPath: device.certPath, keyPath: device.keyPath, caPath: emulator.caPath });
  const transport = new AwsIotDeviceTransport(deviceOptions, 'aws-iot', thingName, undefined, { shouldRetry: () => true, nextRetryTimeout: () => 100 }, undefined);
  const profile = { name: 'echo', commands: [defineCommand({ name: 'echo', description: 'answers', params: z.object({}), handler: () => ({ ok: true }) })] };
  const agent = createAgent({ deviceId: thingName, profile, transports: [transport], system: false });
  const controllerOptions = parseAwsIotOptions({
    endpoint: emulator.endpoint,
    port: emulator.mqttPort,
    certPath,
    keyPath,
    caPath: emulator.caPath,
    controller: { httpsEndpoint: emulator.httpsEndpoint, credentials: { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: emulator.credentials.secretAccessKey }, ...controller },
  });
  const ctl = new AwsIotControllerTransport(controllerOptions, 'aws-iot', undefined, { shouldRetry: () => true, nextRetryTimeout: () => 100 }, undefined);
  const stop = async (): Promise<void> => {
    await ctl.stop();
    await agent.stop();
  };
  try {
    await agent.start();
    await ctl.start(new AbortController().signal);
    await statusIs(ctl.status$, 'online');
  } catch (error) {
    await stop();
    throw error;
  }
  return { controller: ctl, certificateArn: keys.certificateArn!, stop };
}

describe('AWS IoT emulator: control plane (@aws-sdk/client-iot)', () => {
  beforeAll(async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: DEVICE_POLICY }));
  });

  it('provisions a thing whose certificate connects over mutual TLS and updates its own shadow', async () => {
    const keys = await provision('cp-device');
    expect(keys.certificateArn).toBe(`arn:aws:iot:us-east-1:123456789012:cert/${keys.certificateId}`);
    expect(keys.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: 'cp-device' }))).principals).toEqual([keys.certificateArn]);
    const attached = await iot.send(new ListAttachedPoliciesCommand({ target: keys.certificateArn }));
    expect(attached.policies).toEqual([{ policyName: 'device-policy', policyArn: 'arn:aws:iot:us-east-1:123456789012:policy/device-policy' }]);
    const thing = await iot.send(new DescribeThingCommand({ thingName: 'cp-device' }));
    expect(thing).toMatchObject({ thingName: 'cp-device', defaultClientId: 'cp-device', attributes: { model: 'amp-1' }, version: 1 });

    expect(await iot.send(new GetThingConnectivityDataCommand({ thingName: 'cp-device' }))).toMatchObject({ thingName: 'cp-device', connected: false });
    const device = await SdkClient.connectWithPem(emulator, keys.certificatePem, keys.privateKey, 'cp-device');
    try {
      const online = await iot.send(new GetThingConnectivityDataCommand({ thingName: 'cp-device' }));
      expect(online).toMatchObject({ connected: true, timestamp: expect.any(Date) });
      expect(online.disconnectReason).toBeUndefined();
      const update = await device.shadowRequest('$aws/things/cp-device/shadow', 'update', { state: { reported: { volume: 12 } } });
      expect(update.result).toBe('accepted');
      const rest = dataPlaneClient(emulator);
      const shadow = JSON.parse(blobText((await rest.send(new GetThingShadowCommand({ thingName: 'cp-device' }))).payload)) as { state: unknown };
      rest.destroy();
      expect(shadow.state).toEqual({ reported: { volume: 12 } });

      // The policy names the device's own shadow only: another thing's topic closes the connection.
      const interrupted = new Promise<string>((resolve) => device.connection.on('interrupt', (error) => resolve(String(error))));
      void device.publish('$aws/things/someone-else/shadow/update', { state: { reported: { volume: 1 } } }).catch(() => undefined);
      expect(await interrupted).toMatch(/AWS_/);
      expect(await iot.send(new GetThingConnectivityDataCommand({ thingName: 'cp-device' }))).toMatchObject({ connected: false, disconnectReason: 'AUTH_ERROR' });
    } finally {
      await device.disconnect().catch(() => undefined);
    }
  });

  it("connects Amora's aws-iot transport with a provisioned certificate under the guide's least-privilege policy", async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'amora-device', policyDocument: JSON.stringify(GUIDE_POLICY) }));
    const keys = await provision('cp-agent', 'amora-device');
    const certPath = join(dir, 'cp-agent.cert.pem');
    const keyPath = join(dir, 'cp-agent.private.key');
    await writeFile(certPath, keys.certificatePem);
    await writeFile(keyPath, keys.privateKey, { mode: 0o600 });
    const options = parseAwsIotOptions({ endpoint: emulator.endpoint, port: emulator.mqttPort, certPath, keyPath, caPath: emulator.caPath, operationTimeoutMs: 5_000 });
    const transport = new AwsIotDeviceTransport(options, 'aws-iot', 'cp-agent', undefined, { shouldRetry: () => false, nextRetryTimeout: () => 100 }, undefined);
    try {
      await transport.start(new AbortController().signal);
      await statusIs(transport.status$, 'online');
      await transport.publishState({ state: { volume: 21 }, version: 1, timestamp: Date.now(), metadata: {} }, {});
      const rest = dataPlaneClient(emulator);
      const shadow = JSON.parse(blobText((await rest.send(new GetThingShadowCommand({ thingName: 'cp-agent' }))).payload)) as { state: { reported: Record<string, unknown> } };
      rest.destroy();
      expect(shadow.state.reported['volume']).toBe(21);
    } finally {
      await transport.stop();
    }
  });

  it("fails a controller's command while its policy refuses the device's responses topic, and sends the next once a policy allows it", async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'ctl-narrow', policyDocument: JSON.stringify(everythingBut('amora/devices/cp-answering/responses')) }));
    await iot.send(new CreatePolicyCommand({ policyName: 'ctl-broad', policyDocument: JSON.stringify(everythingBut('amora/devices/nobody/responses')) }));
    const { controller, certificateArn, stop } = await answeringPair('cp-answering', 'cp-controller', 'ctl-narrow');
    try {
      await expect(controller.invoke('cp-answering', 'echo', {}, { timeoutMs: 5_000 })).rejects.toThrow(/subscri|refused|denied/i);
      await iot.send(new DetachPolicyCommand({ policyName: 'ctl-narrow', target: certificateArn }));
      await iot.send(new AttachPolicyCommand({ policyName: 'ctl-broad', target: certificateArn }));
      // The refused subscription was forgotten: this command subscribes again before it is sent.
      expect(await controller.invoke('cp-answering', 'echo', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { ok: true } });
    } finally {
      await stop();
    }
  });

  it('commands with responseSubscription fleet under a policy that grants the wildcard of responses but not the device\'s own topic', async () => {
    // The per-device filter is denied, so the default (one SUBSCRIBE per device) would fail, as above.
    await iot.send(new CreatePolicyCommand({ policyName: 'ctl-fleet', policyDocument: JSON.stringify(everythingBut('amora/devices/cp-fleet-device/responses')) }));
    const { controller, stop } = await answeringPair('cp-fleet-device', 'cp-fleet-controller', 'ctl-fleet', { responseSubscription: 'fleet' });
    try {
      expect(await controller.invoke('cp-fleet-device', 'echo', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { ok: true } });
      expect(await controller.invoke('cp-fleet-device', 'echo', {}, { timeoutMs: 5_000 })).toMatchObject({ success: true, result: { ok: true } });
    } finally {
      await stop();
    }
  });

  it('refuses at CONNECT a certificate without a policy, an inactive one, and a client id the policy does not name', async () => {
    const bare = await provision('cp-no-policy', null);
    await expect(SdkClient.connectWithPem(emulator, bare.certificatePem, bare.privateKey, 'cp-no-policy')).rejects.toMatch(/Failed to connect/);

    const other = await provision('cp-other');
    await expect(SdkClient.connectWithPem(emulator, other.certificatePem, other.privateKey, 'not-the-thing-name')).rejects.toMatch(/Failed to connect/);

    await iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'INACTIVE' }));
    expect((await iot.send(new DescribeCertificateCommand({ certificateId: other.certificateId }))).certificateDescription?.status).toBe('INACTIVE');
    await expect(SdkClient.connectWithPem(emulator, other.certificatePem, other.privateKey, 'cp-other')).rejects.toMatch(/Failed to connect/);

    await iot.send(new UpdateCertificateCommand({ certificateId: other.certificateId, newStatus: 'ACTIVE' }));
    const device = await SdkClient.connectWithPem(emulator, other.certificatePem, other.privateKey, 'cp-other');
    await device.disconnect();
  });

  it('creates things idempotently and names duplicates, missing resources and conflicts with the service exceptions', async () => {
    const first = await iot.send(new CreateThingCommand({ thingName: 'cp-dup', attributePayload: { attributes: { a: '1' } } }));
    const again = await iot.send(new CreateThingCommand({ thingName: 'cp-dup', attributePayload: { attributes: { a: '1' } } }));
    expect(again.thingId).toBe(first.thingId);
    const conflict = iot.send(new CreateThingCommand({ thingName: 'cp-dup', attributePayload: { attributes: { a: '2' } } }));
    await expect(conflict).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(conflict).rejects.toMatchObject({ resourceArn: first.thingArn, $metadata: { httpStatusCode: 409 } });

    await expect(iot.send(new DescribeThingCommand({ thingName: 'cp-missing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(iot.send(new GetPolicyCommand({ policyName: 'no-such-policy' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(iot.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: DEVICE_POLICY }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(iot.send(new CreatePolicyCommand({ policyName: 'broken', policyDocument: '{"Statement": 3' }))).rejects.toBeInstanceOf(MalformedPolicyException);
    const unknownCertificate = `arn:aws:iot:us-east-1:123456789012:cert/${'0'.repeat(64)}`;
    await expect(iot.send(new AttachThingPrincipalCommand({ thingName: 'cp-dup', principal: unknownCertificate }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await iot.send(new GetPolicyCommand({ policyName: 'device-policy' }))).policyDocument).toBe(DEVICE_POLICY);

    // Deleting a thing that does not exist is no error; one with a principal attached is refused.
    await iot.send(new DeleteThingCommand({ thingName: 'cp-never-created' }));
    const keys = await provision('cp-delete');
    await expect(iot.send(new DeleteThingCommand({ thingName: 'cp-delete' }))).rejects.toBeInstanceOf(InvalidRequestException);
    await iot.send(new DetachThingPrincipalCommand({ thingName: 'cp-delete', principal: keys.certificateArn }));
    await expect(iot.send(new DeleteThingCommand({ thingName: 'cp-delete', expectedVersion: 7 }))).rejects.toBeInstanceOf(VersionConflictException);
    await iot.send(new DeleteThingCommand({ thingName: 'cp-delete', expectedVersion: 1 }));
    await expect(iot.send(new DescribeThingCommand({ thingName: 'cp-delete' }))).rejects.toBeInstanceOf(ResourceNotFoundException);

    // A certificate goes once it is inactive and detached; a policy once no certificate has it.
    await expect(iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId }))).rejects.toBeInstanceOf(CertificateStateException);
    await iot.send(new UpdateCertificateCommand({ certificateId: keys.certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new CreatePolicyCommand({ policyName: 'short-lived', policyDocument: DEVICE_POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'short-lived', target: keys.certificateArn }));
    await expect(iot.send(new DeletePolicyCommand({ policyName: 'short-lived' }))).rejects.toBeInstanceOf(DeleteConflictException);
    await iot.send(new DetachPolicyCommand({ policyName: 'short-lived', target: keys.certificateArn }));
    await iot.send(new DeletePolicyCommand({ policyName: 'short-lived' }));
    await expect(iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId }))).rejects.toBeInstanceOf(DeleteConflictException);
    await iot.send(new DeleteCertificateCommand({ certificateId: keys.certificateId, forceDelete: true }));
    await expect(iot.send(new DescribeCertificateCommand({ certificateId: keys.certificateId }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('pages ListThings with nextToken and filters by attribute', async () => {
    const names = Array.from({ length: 23 }, (_, index) => `cp-page-${String(index).padStart(2, '0')}`);
    for (const name of names) {
      await iot.send(new CreateThingCommand({ thingName: name, attributePayload: { attributes: { batch: 'paging', parity: String(names.indexOf(name) % 2) } } }));
    }
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListThings({ client: iot, pageSize: 5 }, { attributeName: 'batch', attributeValue: 'paging' })) {
      pages += 1;
      expect(page.things!.length).toBeLessThanOrEqual(5);
      seen.push(...page.things!.map((thing) => thing.thingName!));
    }
    expect(seen).toEqual(names);
    expect(pages).toBe(5);
    const odd = await iot.send(new ListThingsCommand({ attributeName: 'parity', attributeValue: '1', maxResults: 100 }));
    expect(odd.things).toHaveLength(11);
    expect(odd.nextToken).toBeUndefined();
  });

  it('names its device endpoint with DescribeEndpoint, a host name as AWS answers', async () => {
    expect((await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }))).endpointAddress).toBe(emulator.endpoint);
    await expect(iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Nothing' }))).rejects.toBeInstanceOf(InvalidRequestException);
  });

  it('lists the things the emulator made for --thing, whose certificates need no policy', async () => {
    await emulator.createThing('cp-local');
    expect((await iot.send(new DescribeThingCommand({ thingName: 'cp-local' }))).thingName).toBe('cp-local');
    const principals = (await iot.send(new ListThingPrincipalsCommand({ thingName: 'cp-local' }))).principals ?? [];
    expect(principals).toHaveLength(1);
    const device = await SdkClient.connect(emulator, 'cp-local', 'any-client-id');
    await device.disconnect();
  });

  it('refuses a wrong secret or an unknown access key with 403, on both planes', async () => {
    const wrongSecret = controlPlaneClient(emulator, { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    await expect(wrongSecret.send(new ListThingsCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    wrongSecret.destroy();
    const unknownKey = controlPlaneClient(emulator, { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: emulator.credentials.secretAccessKey });
    await expect(unknownKey.send(new ListThingsCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 403 } });
    unknownKey.destroy();
    const data = dataPlaneClient(emulator, { accessKeyId: emulator.credentials.accessKeyId, secretAccessKey: 'not-the-secret' });
    await expect(data.send(new GetThingShadowCommand({ thingName: 'cp-device' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    data.destroy();
  });
});
