import { isJsonObject } from '../../core/index.js';
import { withoutDollarKeys } from '../../adapters/azure-iot-hub/twin-members.js';
import type { AzureClients } from './azure-clients.js';
import type { CloudCalls } from './cloud-calls.js';
import type { SourceDevice, SourceFleet } from './fleet.js';

/** Twins per query page: IoT Hub's largest (each page is one throttled call). */
const PAGE_SIZE = 1000;

/**
 * Reads an IoT Hub fleet with one registry query (`SELECT * FROM devices`, paged): each device's
 * id, twin desired properties and tags, without the hub's `$version`/`$metadata` members.
 */
export async function readAzureFleet(clients: AzureClients, calls: CloudCalls, include: (id: string) => boolean, pageSize = PAGE_SIZE): Promise<SourceFleet> {
  const query = clients.registry.createQuery('SELECT * FROM devices', pageSize);
  const devices: SourceDevice[] = [];
  do {
    // The token is passed explicitly: the promise form of next() without arguments ignores the
    // one the query keeps and asks for the first page again, for ever.
    const token = query.continuationToken;
    const { result } = await calls.call(() => (token ? query.next(token) : query.next()));
    for (const twin of (result ?? []) as unknown[]) {
      const device = toSourceDevice(twin);
      if (device && include(device.id)) devices.push(device);
    }
  } while (query.hasMoreResults);
  devices.sort((a, b) => a.id.localeCompare(b.id));
  return { cloud: 'azure', where: clients.hostName, devices };
}

function toSourceDevice(twin: unknown): SourceDevice | undefined {
  if (!isJsonObject(twin) || typeof twin['deviceId'] !== 'string') return undefined;
  // Module twins share the query; a migration moves devices.
  if (typeof twin['moduleId'] === 'string') return undefined;
  const properties = isJsonObject(twin['properties']) ? twin['properties'] : {};
  return {
    id: twin['deviceId'],
    desired: isJsonObject(properties['desired']) ? withoutDollarKeys(properties['desired']) : {},
    tags: isJsonObject(twin['tags']) ? twin['tags'] : {},
  };
}
