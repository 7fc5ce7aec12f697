import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
} from '@aws-sdk/client-iot';
import { UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import type { JsonObject } from '../../core/index.js';
import type { AwsClients, AwsSettings } from './aws-clients.js';
import { devicePolicyDocument } from './aws-policy.js';
import type { CloudCalls } from './cloud-calls.js';
import { CA_FILE, type DeviceOutput } from './device-output.js';
import type { DevicePlan } from './mapping.js';
import type { MigrationState } from './state-file.js';
import type { TargetProvisioner } from './target.js';

const CERTIFICATE = 'certificate.pem.crt';
const PRIVATE_KEY = 'private.pem.key';
const CERTIFICATE_IDS = 'certificate.json';

/**
 * Provisions things on AWS IoT Core as the AWS seed's steps do, one call per step: CreateThing
 * (attributes from twin tags), CreateKeysAndCertificate (active), AttachThingPrincipal,
 * AttachPolicy (the least-privilege device policy, created once), then the shadow's desired
 * state and the device's output folder. Every step is safe to run again except the certificate,
 * which AWS issues anew on each call: its ARN goes to the state file and the device folder as
 * soon as it exists, and a rerun reuses it.
 */
export class AwsTarget implements TargetProvisioner {
  readonly cloud = 'aws' as const;
  readonly steps = ['thing', 'certificate', 'principal', 'policy', 'desired', 'output'] as const;

  constructor(
    private readonly clients: AwsClients,
    private readonly settings: AwsSettings,
    private readonly calls: CloudCalls,
    private readonly state: MigrationState,
  ) {}

  async prepare(): Promise<void> {
    try {
      await this.calls.call(() =>
        this.clients.control.send(new CreatePolicyCommand({ policyName: this.settings.policyName, policyDocument: devicePolicyDocument(this.settings.topicPrefix) })),
      );
    } catch (error) {
      // A policy of that name from an earlier run (or made by hand) is used as it is.
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
    }
  }

  async provision(device: DevicePlan, output: DeviceOutput): Promise<void> {
    const thingName = device.id;
    await this.state.step(thingName, 'thing', async () => {
      try {
        await this.calls.call(() =>
          this.clients.control.send(new CreateThingCommand({ thingName, attributePayload: { attributes: { ...device.attributes } } })),
        );
      } catch (error) {
        // Same name, other attributes: the thing exists; attributes are not worth failing the move.
        if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
      }
    });
    await this.state.step(thingName, 'certificate', () => this.certificate(output));
    const certificateArn = this.state.fact(thingName, 'certificateArn') ?? (await this.savedCertificate(output))?.certificateArn;
    if (!certificateArn) throw new Error(`${thingName}: no certificate ARN recorded`);
    await this.state.step(thingName, 'principal', async () => {
      await this.calls.call(() => this.clients.control.send(new AttachThingPrincipalCommand({ thingName, principal: certificateArn })));
    });
    await this.state.step(thingName, 'policy', async () => {
      await this.calls.call(() => this.clients.control.send(new AttachPolicyCommand({ policyName: this.settings.policyName, target: certificateArn })));
    });
    await this.state.step(thingName, 'desired', async () => {
      if (Object.keys(device.desired).length === 0) return;
      const payload = new TextEncoder().encode(JSON.stringify({ state: { desired: device.desired } }));
      const shadowName = this.settings.shadowName;
      await this.calls.call(() => this.clients.data.send(new UpdateThingShadowCommand({ thingName, payload, ...(shadowName ? { shadowName } : {}) })));
    });
    await this.state.step(thingName, 'output', () => output.writeFolder(this.transportEntry(thingName, output), { caPem: this.settings.caPem, unmapped: device.unmapped }));
  }

  /** The device's `transports:` entry on AWS. */
  private transportEntry(thingName: string, output: DeviceOutput): JsonObject {
    const [host, port] = this.clients.deviceEndpoint.split(':');
    return {
      kind: 'aws-iot',
      endpoint: host ?? this.clients.deviceEndpoint,
      ...(port ? { port: Number(port) } : {}),
      thingName,
      certPath: output.devicePath(CERTIFICATE),
      keyPath: output.devicePath(PRIVATE_KEY),
      ...(this.settings.caPem ? { caPath: output.devicePath(CA_FILE) } : {}),
      ...(this.settings.shadowName ? { shadowName: this.settings.shadowName } : {}),
      ...(this.settings.topicPrefix !== 'amora' ? { topicPrefix: this.settings.topicPrefix } : {}),
    };
  }

  /**
   * A new active certificate, written to the device folder before it is recorded. A certificate
   * found in the folder (a run killed between the two) is used instead of issuing another.
   */
  private async certificate(output: DeviceOutput): Promise<Record<string, string>> {
    const saved = await this.savedCertificate(output);
    if (saved) return saved;
    const created = await this.calls.call(() => this.clients.control.send(new CreateKeysAndCertificateCommand({ setAsActive: true })));
    const { certificateArn, certificateId, certificatePem, keyPair } = created;
    if (!certificateArn || !certificateId || !certificatePem || !keyPair?.PrivateKey) throw new Error('CreateKeysAndCertificate returned no certificate');
    await output.writeSecret(PRIVATE_KEY, keyPair.PrivateKey);
    await output.writePublic(CERTIFICATE, certificatePem);
    await output.writeJson(CERTIFICATE_IDS, { certificateArn, certificateId });
    return { certificateArn, certificateId };
  }

  private async savedCertificate(output: DeviceOutput): Promise<{ certificateArn: string; certificateId: string } | undefined> {
    const [ids, key] = await Promise.all([output.read(CERTIFICATE_IDS), output.read(PRIVATE_KEY)]);
    if (ids === undefined || key === undefined) return undefined;
    return JSON.parse(ids) as { certificateArn: string; certificateId: string };
  }
}
