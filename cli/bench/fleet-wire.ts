import mqtt from 'mqtt';
import { sentAtOf } from './fleet-link.js';

/**
 * One wildcard subscriber on every device's state topic: counts the state messages the devices
 * put on the wire since `since`. Beside the subscribers' deliveries it tells merged updates (never
 * published: Amora sends the latest state when it falls behind) from lost ones (published, not delivered).
 */
export async function watchWire(url: string, since: number): Promise<{ published(): number; stop(): Promise<void> }> {
  const client = await mqtt.connectAsync(url, { clientId: `fleet-wire-${process.pid}`, reconnectPeriod: 0 });
  let published = 0;
  client.on('message', (_topic, payload) => {
    const sentAt = sentAtOf(payload);
    if (sentAt !== undefined && sentAt >= since) published++;
  });
  await client.subscribeAsync('amora/devices/+/state', { qos: 1 });
  return { published: () => published, stop: () => client.endAsync(true) };
}
