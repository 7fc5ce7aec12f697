import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../../core/index.js';
import { formatConnectionString } from '../../adapters/azure-iot-hub/connection-string.js';
import { statusOf } from '../../adapters/azure-iot-hub/service-client.js';
import type { AzureClients, AzureSettings } from './azure-clients.js';
import type { CloudCalls } from './cloud-calls.js';
import { CA_FILE, type DeviceOutput } from './device-output.js';
import type { DevicePlan } from './mapping.js';
import type { MigrationState } from './state-file.js';
import { selfSignedIdentity, thumbprintOf } from './self-signed.js';
import type { TargetProvisioner } from './target.js';

/** The variable secrets.env sets and transport.yaml reads (the azure-iot-hub kind's own fallback name). */
export const CONNECTION_STRING_VARIABLE = 'AMORA_DEVICE_CONNECTION_STRING';
const X509_CERT = 'device.cert.pem';
const X509_KEY = 'device.key.pem';

/**
 * Provisions devices on IoT Hub: a device identity with SAS keys (made here, 256-bit random) or a
 * self-signed certificate (`--azure-auth x509`), then its twin's desired properties and tags,
 * then its output folder. Creating an identity that exists (a rerun, or a run killed before it
 * recorded the step) uses the existing one.
 */
export class AzureTarget implements TargetProvisioner {
  readonly cloud = 'azure' as const;
  readonly steps = ['identity', 'desired', 'output'] as const;

  constructor(
    private readonly clients: AzureClients,
    private readonly settings: AzureSettings,
    private readonly calls: CloudCalls,
    private readonly state: MigrationState,
  ) {}

  async prepare(): Promise<void> {
    // Nothing fleet-wide: an IoT Hub identity carries its own authorization.
  }

  async provision(device: DevicePlan, output: DeviceOutput): Promise<void> {
    const deviceId = device.id;
    await this.state.step(deviceId, 'identity', () => (this.settings.auth === 'x509' ? this.x509Identity(deviceId, output) : this.sasIdentity(deviceId, output)));
    await this.state.step(deviceId, 'desired', async () => {
      const tags = device.tags ?? {};
      if (Object.keys(device.desired).length === 0 && Object.keys(tags).length === 0) return;
      const patch = { ...(Object.keys(tags).length > 0 ? { tags } : {}), properties: { desired: device.desired } };
      await this.calls.call(() => this.clients.registry.updateTwin(deviceId, patch, '*'));
    });
    await this.state.step(deviceId, 'output', () => output.writeFolder(this.transportEntry(deviceId, output), { caPem: this.settings.caPem, unmapped: device.unmapped }));
  }

  private transportEntry(deviceId: string, output: DeviceOutput): JsonObject {
    const ca: JsonObject = this.settings.caPem ? { ca: output.devicePath(CA_FILE) } : {};
    if (this.settings.auth === 'x509') {
      return {
        kind: 'azure-iot-hub',
        connectionString: formatConnectionString({ HostName: this.deviceHost, DeviceId: deviceId, x509: 'true' }),
        x509: { cert: output.devicePath(X509_CERT), key: output.devicePath(X509_KEY) },
        ...ca,
      };
    }
    return { kind: 'azure-iot-hub', connectionString: `\${${CONNECTION_STRING_VARIABLE}}`, ...ca };
  }

  private get deviceHost(): string {
    return this.settings.deviceHost ?? this.clients.hostName;
  }

  private async sasIdentity(deviceId: string, output: DeviceOutput): Promise<void> {
    const key = await this.identityKey(deviceId);
    const connectionString = formatConnectionString({ HostName: this.deviceHost, DeviceId: deviceId, SharedAccessKey: key });
    await output.writeSecret('secrets.env', `${CONNECTION_STRING_VARIABLE}=${connectionString}\n`);
  }

  /**
   * A self-signed certificate written to the device folder before the identity that trusts its
   * thumbprint is created, so a rerun finds and registers the same one. An identity that exists
   * with another thumbprint (or with keys) is left alone and reported.
   */
  private async x509Identity(deviceId: string, output: DeviceOutput): Promise<void> {
    const saved = await output.read(X509_CERT);
    let thumbprint: string;
    if (saved !== undefined && (await output.read(X509_KEY)) !== undefined) {
      thumbprint = thumbprintOf(saved);
    } else {
      const identity = await selfSignedIdentity(deviceId, this.settings.certDays);
      await output.writeSecret(X509_KEY, identity.keyPem);
      await output.writePublic(X509_CERT, identity.certPem);
      thumbprint = identity.thumbprint;
    }
    const authentication = { type: 'selfSigned', x509Thumbprint: { primaryThumbprint: thumbprint, secondaryThumbprint: thumbprint } };
    const device = await this.createOrGet(deviceId, authentication);
    const registered = (device as { authentication?: { x509Thumbprint?: { primaryThumbprint?: string; secondaryThumbprint?: string } } }).authentication?.x509Thumbprint;
    if (registered?.primaryThumbprint?.toUpperCase() !== thumbprint && registered?.secondaryThumbprint?.toUpperCase() !== thumbprint) {
      throw new Error(`${deviceId} exists on the hub with other credentials; delete it, or move it with --azure-auth sas`);
    }
  }

  /**
   * The device's primary key: of the identity created now, or of the one that exists (the hub
   * answers 409). The key is taken from the hub's answer, not from what was sent, so an identity
   * that existed with other keys is never written out with keys it does not have.
   */
  private async identityKey(deviceId: string): Promise<string> {
    const authentication = { type: 'sas', symmetricKey: { primaryKey: randomBytes(32).toString('base64'), secondaryKey: randomBytes(32).toString('base64') } };
    const device = await this.createOrGet(deviceId, authentication);
    const key = (device as { authentication?: { symmetricKey?: { primaryKey?: string } } }).authentication?.symmetricKey?.primaryKey;
    if (!key) throw new Error(`${deviceId} exists on the hub without a SAS key (X.509?); delete it or provision it by hand`);
    return key;
  }

  /** The identity as the hub has it: created now, or the one that already exists (the hub answers 409). */
  private async createOrGet(deviceId: string, authentication: object): Promise<unknown> {
    try {
      return (await this.calls.call(() => this.clients.registry.create({ deviceId, status: 'enabled', authentication }))).responseBody;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      return (await this.calls.call(() => this.clients.registry.get(deviceId))).responseBody;
    }
  }
}
