import { ListThingsCommand } from '@aws-sdk/client-iot';
import { GetThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import { isJsonObject, type JsonObject } from '../../core/index.js';
import type { AwsClients } from './aws-clients.js';
import type { CloudCalls } from './cloud-calls.js';
import type { SourceDevice, SourceFleet } from './fleet.js';
import { mapLimited } from '../map-limited.js';

/**
 * Reads an AWS fleet: every thing (ListThings, paged) with its attributes, and the desired
 * state of its classic or named shadow (GetThingShadow; none when the thing has no shadow).
 */
export async function readAwsFleet(clients: AwsClients, calls: CloudCalls, options: { shadowName?: string; include: (id: string) => boolean; concurrency: number }): Promise<SourceFleet> {
  const things: { name: string; attributes: Record<string, string> }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await calls.call(() => clients.control.send(new ListThingsCommand({ maxResults: 250, ...(nextToken ? { nextToken } : {}) })));
    for (const thing of page.things ?? []) {
      if (thing.thingName && options.include(thing.thingName)) things.push({ name: thing.thingName, attributes: thing.attributes ?? {} });
    }
    nextToken = page.nextToken;
  } while (nextToken);

  const devices = await mapLimited(things, options.concurrency, async (thing): Promise<SourceDevice> => ({
    id: thing.name,
    desired: await readDesired(clients, calls, thing.name, options.shadowName),
    attributes: thing.attributes,
  }));
  return { cloud: 'aws', where: clients.where, devices };
}

async function readDesired(clients: AwsClients, calls: CloudCalls, thingName: string, shadowName: string | undefined): Promise<JsonObject> {
  try {
    const { payload } = await calls.call(() => clients.data.send(new GetThingShadowCommand({ thingName, ...(shadowName ? { shadowName } : {}) })));
    const document: unknown = JSON.parse(new TextDecoder().decode(payload ?? new Uint8Array()));
    const desired = isJsonObject(document) && isJsonObject(document['state']) ? document['state']['desired'] : undefined;
    return isJsonObject(desired) ? desired : {};
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return {};
    throw error;
  }
}
