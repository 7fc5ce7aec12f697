import mqtt from 'mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { buildController, parseConfig, type PluginRegistry } from '../../core/index.js';
import { findBinary } from '../../test/support/binaries.js';
import { startMosquitto } from '../../test/support/mosquitto.js';
import { nowMs } from './latency-recorder.js';
import { alternatingRounds } from './rounds.js';
import { deadline } from './transport-probe.js';

/** What the discovery scenario measured: ms until a fresh controller knows the whole fleet. */
export interface DiscoveryResult {
  readonly devices: number;
  /** Each pass in the order it ran (raw and amora alternate, the order reversed every round). */
  readonly passes: readonly { readonly who: 'raw' | 'amora'; readonly ms: number }[];
}

/**
 * A fleet's retained presences (N devices) on Mosquitto, then a fresh controller discovers them:
 * raw mqtt.js subscribes to `amora/devices/+/connection` and counts N messages; Amora's
 * `devices$()` emits a list of N. Both times run from before the connect to the last device,
 * alternating raw and amora with the order reversed each round.
 */
export async function runDiscovery(registry: PluginRegistry, devices: number, rounds = 2): Promise<DiscoveryResult | string> {
  if (!findBinary('mosquitto')) return 'mosquitto is not installed (apt-get install mosquitto)';
  // A controller reading the whole fleet's retained messages must not be cut off at Mosquitto's default 1,000.
  const broker = await startMosquitto({ extraConfig: `max_queued_messages ${devices * 2}` });
  try {
    await seedPresences(broker.url, devices);
    const passes: { who: 'raw' | 'amora'; ms: number }[] = [];
    for (const { who } of alternatingRounds(rounds, ['raw', 'amora'])) {
      const ms = who === 'raw' ? await rawDiscovery(broker.url, devices) : await amoraDiscovery(registry, broker.url, devices);
      passes.push({ who, ms });
    }
    return { devices, passes };
  } finally {
    await broker.dispose();
  }
}

async function seedPresences(url: string, devices: number): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    for (let i = 0; i < devices; i++) {
      const deviceId = `fleet-${String(i).padStart(5, '0')}`;
      const payload = JSON.stringify({ device_id: deviceId, status: 'online', timestamp: Date.now() });
      await client.publishAsync(`amora/devices/${deviceId}/connection`, payload, { qos: 1, retain: true });
    }
  } finally {
    await client.endAsync();
  }
}

async function rawDiscovery(url: string, devices: number): Promise<number> {
  const start = nowMs();
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  try {
    const seen = new Set<string>();
    const all = new Promise<void>((resolve) =>
      client.on('message', (topic) => {
        seen.add(topic);
        if (seen.size === devices) resolve();
      }),
    );
    await client.subscribeAsync('amora/devices/+/connection', { qos: 1 });
    await deadline(all, 'every retained presence (raw)', 120_000);
    return nowMs() - start;
  } finally {
    await client.endAsync(true);
  }
}

async function amoraDiscovery(registry: PluginRegistry, url: string, devices: number): Promise<number> {
  const start = nowMs();
  const config = parseConfig({ device: { id: 'bench-discovery' }, transports: [{ kind: 'mqtt', url }] });
  const controller = await buildController(config, registry);
  const abort = new AbortController();
  try {
    await controller.start(abort.signal);
    await deadline(firstValueFrom(controller.devices$().pipe(filter((list) => list.length === devices))), 'every device in devices$()', 120_000);
    return nowMs() - start;
  } finally {
    abort.abort();
    await controller.stop();
  }
}
