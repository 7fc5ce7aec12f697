import iothub from 'azure-iothub';
import { hubServiceSeam } from '../../adapters/azure-iot-hub/service-http.js';

/** How `amora migrate` reaches an IoT Hub. */
export interface AzureSettings {
  /** A service policy connection string with registry read/write and service connect. */
  readonly connectionString: string;
  /** A CA to trust instead of the system's (the emulator's), PEM text. */
  readonly caPem?: string;
  /** `host[:port]` the devices connect to; default the service's host name (one name on IoT Hub). */
  readonly deviceHost?: string;
  /** New identities authenticate with SAS keys, or with a self-signed certificate (X.509 thumbprint). */
  readonly auth: 'sas' | 'x509';
  /** How long the self-signed certificates are valid. */
  readonly certDays: number;
}

export interface AzureClients {
  readonly registry: InstanceType<typeof iothub.Registry>;
  /** The hub's host name (no secret). */
  readonly hostName: string;
  close(): void;
}

/**
 * The unmodified azure-iothub Registry, through the RestApiClient seam the controller uses too
 * (so a `host:port` HostName and a private CA work), with the SDK's own retries left to us.
 */
export function openAzureClients(settings: AzureSettings): AzureClients {
  const { hostName, config, rest, agent } = hubServiceSeam(settings.connectionString, { userAgent: 'amora-migrate', ca: settings.caPem });
  return {
    registry: new iothub.Registry(config, rest),
    hostName,
    close: () => agent.destroy(),
  };
}
