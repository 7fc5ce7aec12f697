import mqtt, { type MqttClient } from 'mqtt';
import { mapLimited } from '../map-limited.js';
import { fleetStateTopic, sentAtOf, serveRequests, settledMemory, watchedDevice, type SubscribersReply, type SubscribersRequest } from './fleet-link.js';
import { nowMs } from './latency-recorder.js';

/**
 * A share of the fleet's subscriber connections (apps watching a device), alone in this process:
 * plain mqtt.js clients, connected once for the whole run, each subscribed to one device's state,
 * client j to its device of the pass being measured (see watchedDevice; each pass has its own
 * device ids, see fleetDeviceId). A received state counts when it was sent at or after the pass's
 * start; its latency is now minus the send time it carries (`playback.position`, the shared
 * monotonic clock).
 */

/** Each client and the device index it watches. */
const clients: { readonly client: MqttClient; readonly device: number }[] = [];
/** The pass whose devices the clients watch (none before the first). */
let watchedPass: number | undefined;
/** Subscriptions in flight at once when the clients move (the connect concurrency). */
let concurrency = 1;
let since = Number.POSITIVE_INFINITY;
let delivered = 0;
let latencies: number[] = [];
let measuring = { cpu: process.cpuUsage(), at: nowMs() };

function received(payload: Buffer): void {
  const at = nowMs();
  const sentAt = sentAtOf(payload);
  if (sentAt === undefined || sentAt < since) return;
  delivered++;
  latencies.push(at - sentAt);
}

serveRequests<SubscribersRequest, SubscribersReply>(async (request, reply) => {
  switch (request.type) {
    case 'connect': {
      concurrency = request.concurrency;
      const before = settledMemory();
      const start = nowMs();
      const indexes = Array.from({ length: request.clients }, (_, offset) => request.first + offset);
      await mapLimited(indexes, request.concurrency, async (index) => {
        const client = await mqtt.connectAsync(request.url, { clientId: `fleet-app-${index}`, reconnectPeriod: 0 });
        (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
        client.on('message', (_topic, payload) => received(payload));
        clients.push({ client, device: watchedDevice(index, request.fleetClients, request.devices) });
      });
      const connectMs = nowMs() - start;
      const after = settledMemory();
      reply({ type: 'connected', connectMs, heapPerClient: (after.heap - before.heap) / request.clients, rssPerClient: (after.rss - before.rss) / request.clients });
      return;
    }
    case 'measure':
      await watch(request.pass);
      since = request.since;
      delivered = 0;
      latencies = [];
      measuring = { cpu: process.cpuUsage(), at: nowMs() };
      reply({ type: 'measuring' });
      return;
    case 'count':
      reply({ type: 'count', delivered });
      return;
    case 'collect': {
      const used = process.cpuUsage(measuring.cpu);
      reply({ type: 'collected', delivered, latenciesMs: latencies, cpuMicros: used.user + used.system, busy: (used.user + used.system) / 1000 / (nowMs() - measuring.at) });
      since = Number.POSITIVE_INFINITY;
      latencies = [];
      return;
    }
    case 'stop':
      await Promise.allSettled(clients.map(({ client }) => client.endAsync(true)));
      process.exit(0);
  }
});

/** Moves every client to its device of `pass`: the previous pass's subscription goes, the new one comes. */
async function watch(pass: number): Promise<void> {
  const previous = watchedPass;
  await mapLimited(clients, concurrency, async ({ client, device }) => {
    if (previous !== undefined) await client.unsubscribeAsync(fleetStateTopic(previous, device));
    await client.subscribeAsync(fleetStateTopic(pass, device), { qos: 1 });
  });
  watchedPass = pass;
}
