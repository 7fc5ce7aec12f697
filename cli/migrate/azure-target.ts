import { randomBytes } from 'node:crypto';
import type { JsonObject } from '../../core/index.js';
import { formatConnectionString } from '../../adapters/azure-iot-hub/connection-string.js';
import { statusOf } from '../../adapters/azure-iot-hub/service-client.js';
import type { AzureClients, AzureSettings } from './azure-clients.js';
import type { CloudCalls } from './cloud-calls.js';
import type { DeviceOutput } from './device-output.js';
import type { DevicePlan } from './mapping.js';
import type { MigrationState } from './state-file.js';
import type { TargetProvisioner } from './target.js';

/** The variable secrets.env sets and transport.yaml reads (the azure-iot-hub kind's own fallback name). */
export const CONNECTION_STRING_VARIABLE = 'AMORA_DEVICE_CONNECTION_STRING';

/**
 * Provisions devices on IoT Hub: a device identity with SAS keys (made here, 256-bit random),
 * then its twin's desired properties and tags, then its output folder. Creating an identity that
 * exists (a rerun, or a run killed before it recorded the step) reads the existing keys instead.
 */
export class AzureTarget implements TargetProvisioner {
  readonly cloud = 'azure' as const;
  readonly steps = ['identity', 'desired', 'output'] as const;
  readonly where: string;

  constructor(
    private readonly clients: AzureClients,
    private readonly settings: AzureSettings,
    private readonly calls: CloudCalls,
    private readonly state: MigrationState,
  ) {
    this.where = clients.hostName;
  }

  async prepare(): Promise<void> {
    // Nothing fleet-wide: an IoT Hub identity carries its own authorization.
  }

  async provision(device: DevicePlan, output: DeviceOutput): Promise<void> {
    const deviceId = device.id;
    await this.state.step(deviceId, 'identity', async () => {
      const key = await this.identityKey(deviceId);
      const connectionString = formatConnectionString({ HostName: this.settings.deviceHost ?? this.clients.hostName, DeviceId: deviceId, SharedAccessKey: key });
      await output.writeSecret('secrets.env', `${CONNECTION_STRING_VARIABLE}=${connectionString}\n`);
    });
    await this.state.step(deviceId, 'desired', async () => {
      const tags = device.tags ?? {};
      if (Object.keys(device.desired).length === 0 && Object.keys(tags).length === 0) return;
      const patch = { ...(Object.keys(tags).length > 0 ? { tags } : {}), properties: { desired: device.desired } };
      await this.calls.call(() => this.clients.registry.updateTwin(deviceId, patch, '*'));
    });
    await this.state.step(deviceId, 'output', async () => {
      if (this.settings.caPem) await output.writePublic('ca.pem', this.settings.caPem);
      if (device.unmapped) await output.writeJson('unmapped.json', device.unmapped);
      await output.writeTransport(this.transportEntry(output));
    });
  }

  private transportEntry(output: DeviceOutput): JsonObject {
    return {
      kind: 'azure-iot-hub',
      connectionString: `\${${CONNECTION_STRING_VARIABLE}}`,
      ...(this.settings.caPem ? { ca: output.devicePath('ca.pem') } : {}),
    };
  }

  /**
   * The device's primary key: of the identity created now, or of the one that exists (the hub
   * answers 409). The key is taken from the hub's answer, not from what was sent, so an identity
   * that existed with other keys is never written out with keys it does not have.
   */
  private async identityKey(deviceId: string): Promise<string> {
    const authentication = { type: 'sas', symmetricKey: { primaryKey: randomBytes(32).toString('base64'), secondaryKey: randomBytes(32).toString('base64') } };
    let device: unknown;
    try {
      device = (await this.calls.call(() => this.clients.registry.create({ deviceId, status: 'enabled', authentication }))).responseBody;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      device = (await this.calls.call(() => this.clients.registry.get(deviceId))).responseBody;
    }
    const key = (device as { authentication?: { symmetricKey?: { primaryKey?: string } } }).authentication?.symmetricKey?.primaryKey;
    if (!key) throw new Error(`${deviceId} exists on the hub without a SAS key (X.509?); delete it or provision it by hand`);
    return key;
  }
}
