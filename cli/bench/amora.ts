import { firstValueFrom, filter } from 'rxjs';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair, type AgentPair } from './agent-pair.js';
import { benchState } from './bench-profile.js';
import { nowMs } from './latency-recorder.js';
import type { ScenarioOptions, ScenarioResult } from './scenario.js';
import { deadline, probeCommands, probeState } from './transport-probe.js';

/** The same work as raw-mqtt.ts, through an Agent and a ControllerTransport on the same broker. */
export async function runAmora(registry: PluginRegistry, options: ScenarioOptions): Promise<ScenarioResult> {
  const pair = await startAgentPair(registry, { deviceId: `bench-${process.pid}`, transport: { kind: 'mqtt', url: options.url } });
  const probe = { samples: options.samples, warmup: options.warmup, pacingMs: 0 };
  try {
    const { atController } = await probeState(pair, probe);
    const commandRoundTrip = await probeCommands(pair, { ...probe, ...options.commands });
    const { perSecond, patchesPerSecond, delivered } = await throughput(pair, options);
    return { stateLatency: atController!, commandRoundTrip, throughputPerSecond: perSecond, patchesPerSecond, throughputSent: options.throughputMessages, throughputDelivered: delivered };
  } finally {
    await pair.stop();
  }
}

/**
 * Patches as fast as the agent takes them, until the controller has seen the last version. The
 * agent may merge a burst into fewer messages (it sends the latest state, not every intermediate
 * one): the throughput is the messages the controller got per second, as raw's is; the patch rate
 * is reported beside it, never instead of it.
 */
async function throughput({ agent, controller }: AgentPair, options: ScenarioOptions) {
  const first = agent.state.version + 1;
  const last = first + options.throughputMessages - 1;
  let delivered = 0;
  const done = firstValueFrom(
    controller.state$(agent.deviceId).pipe(
      filter((m) => m.version >= first && ++delivered > 0 && m.version >= last),
    ),
  );
  const start = nowMs();
  for (let i = 0; i < options.throughputMessages; i++) {
    agent.state.patch(benchState(first + i + 1_000_000));
    // Yield now and then so the transport's socket writes interleave with patching, as in a real device.
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await deadline(done, 'the last state of the throughput run', 60_000);
  const seconds = (nowMs() - start) / 1000;
  return { perSecond: delivered / seconds, patchesPerSecond: options.throughputMessages / seconds, delivered };
}
