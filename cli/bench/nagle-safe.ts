import type { PluginRegistry } from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import type { LatencySummary } from './latency-recorder.js';
import type { ScenarioOptions } from './scenario.js';
import { probeCommands } from './transport-probe.js';

/**
 * The command path for a broker with Nagle's algorithm on (Mosquitto's stock `set_tcp_nodelay
 * false`), where every QoS 1 request/response waits for a delayed ACK: the controller publishes
 * its QoS 1 commands over a connection of their own (`commandConnection: separate`), so the
 * broker's PUBACK and the response never queue behind each other on one socket, and the device
 * answers at QoS 0 (`qos.responses: 0`), so no PUBACK of the broker waits for the device's delayed
 * ACK when the next command comes. Commands stay QoS 1: one sent while the device is offline
 * still waits in its session (test/integration/nagle-command-path.int.spec.ts).
 */
export const NAGLE_SAFE_OPTIONS = { commandConnection: 'separate', qos: { responses: 0 } } as const;

/** Command round trips through an agent pair configured with NAGLE_SAFE_OPTIONS. */
export async function runNagleSafeCommands(registry: PluginRegistry, options: ScenarioOptions): Promise<LatencySummary> {
  const pair = await startAgentPair(registry, {
    deviceId: `bench-nagle-safe-${process.pid}`,
    transport: { kind: 'mqtt', url: options.url, ...NAGLE_SAFE_OPTIONS },
  });
  try {
    return await probeCommands(pair, { samples: options.samples, warmup: options.warmup, pacingMs: 0, ...options.commands });
  } finally {
    await pair.stop();
  }
}
