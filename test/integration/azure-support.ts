import iothub from 'azure-iothub';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';
import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import type { AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { parseAzureIotHubOptions, type AzureIotHubOptionsInput } from '../../adapters/azure-iot-hub/options.js';
import { hubServiceSeam } from '../../adapters/azure-iot-hub/service-http.js';

/** Shared by the Azure integration specs: real SDK clients pointed at the emulator. */

/** The unmodified azure-iothub Client and Registry, reaching the emulator through the request-builder seam. */
export function serviceSdk(hub: Pick<AzureIotHubEmulator, 'serviceConnectionString' | 'caPem'>): { client: InstanceType<typeof iothub.Client>; registry: InstanceType<typeof iothub.Registry> } {
  const { config, rest } = hubServiceSeam(hub.serviceConnectionString, { userAgent: 'amora-test', ca: hub.caPem });
  // Client needs a (AMQP) transport object for feedback and C2D, which these tests never use.
  return { client: new iothub.Client({} as never, rest), registry: new iothub.Registry(config, rest) };
}

/** A device transport on the emulator with fast retries (tests wait on events, never on time). */
export function azureDevice(hub: AzureIotHubEmulator, deviceId: string, options: AzureIotHubOptionsInput = {}): AzureIotHubDeviceTransport {
  return new AzureIotHubDeviceTransport(
    parseAzureIotHubOptions({ connectionString: hub.deviceConnectionString(deviceId), ca: hub.caPem, ...options }),
    'azure-iot-hub',
    deviceId,
    undefined,
    new ExponentialBackoffRetryPolicy({ initialMs: 20, maxMs: 200 }),
    undefined,
  );
}

/** The first value matching `predicate`, failing after `ms` (a safety net, not a timing assertion). */
export function next<T>(source: Observable<T>, predicate: (value: T) => boolean = () => true, ms = 10_000): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate), timeout(ms)));
}

export function statusIs(status$: Observable<ConnectionStatus>, state: ConnectionStatus['state']): Promise<ConnectionStatus> {
  return next(status$, (status) => status.state === state);
}
