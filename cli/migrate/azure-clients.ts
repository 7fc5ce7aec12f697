import iothub from 'azure-iothub';
import restApi from 'azure-iothub/dist/common-http/rest_api_client.js';
import { Agent } from 'node:https';
import { serviceConnectionInfo } from '../../adapters/azure-iot-hub/connection-string.js';
import { HubHttpRequestBuilder } from '../../adapters/azure-iot-hub/service-http.js';

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
  const info = serviceConnectionInfo(settings.connectionString);
  // A signature object (not a string): RestApiClient re-signs it for an hour on every call.
  const sharedAccessSignature = iothub.SharedAccessSignature.create(info.hostName, info.keyName, info.key, Math.floor(Date.now() / 1000) + 3600);
  const config = { host: info.hostName, sharedAccessSignature };
  const agent = new Agent({ keepAlive: true, ...(settings.caPem ? { ca: settings.caPem } : {}) });
  const rest = new restApi.RestApiClient(config, 'amora-migrate', new HubHttpRequestBuilder({ ca: settings.caPem, agent }));
  return {
    registry: new iothub.Registry(config, rest),
    hostName: info.hostName,
    close: () => agent.destroy(),
  };
}
