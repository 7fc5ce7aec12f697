import mqtt from 'mqtt';
import { fleetDeviceId, sentAtOf } from './fleet-link.js';

/**
 * A subscriber on the state topics of the devices the fleet's subscribers watch (devices 0 to
 * `watched` - 1 of the pass): counts the state messages those devices put on the wire since `since`. Beside
 * the subscribers' deliveries it tells merged updates (never published: Amora sends the latest
 * state when it falls behind) from lost ones (published, not delivered).
 *
 * Only those devices: on every device of a 10,000-device fleet, this one client took 10,000
 * messages a second from the broker, costing the broker and the bench's own process about half a
 * core of the two the devices share (measured: the agents' sends fell 20-524 ms behind their
 * schedule at p99 with it, 18-19 ms without).
 */
export async function watchWire(url: string, since: number, fleet: { readonly pass: number; readonly devices: number; readonly watched: number }): Promise<{ published(): number; stop(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId: `fleet-wire-${process.pid}`, reconnectPeriod: 0 });
  let published = 0;
  client.on('message', (_topic, payload) => {
    const sentAt = sentAtOf(payload);
    if (sentAt !== undefined && sentAt >= since) published++;
  });
  const topics = fleet.watched >= fleet.devices ? ['amora/devices/+/state'] : Array.from({ length: fleet.watched }, (_, index) => `amora/devices/${fleetDeviceId(fleet.pass, index)}/state`);
  await client.subscribeAsync(topics, { qos: 1 });
  return { published: () => published, stop: () => client.endAsync(true) };
}
