import { z } from 'zod';
import { firstValueFrom, filter } from 'rxjs';
import type { Agent } from '../../core/agent/agent.js';
import { buildAgent, buildController } from '../../core/agent/container.js';
import type { DeviceProfile } from '../../core/agent/device-profile.js';
import { defineCommand } from '../../core/commands/types.js';
import { parseConfig } from '../../core/config/parse.js';
import type { PluginRegistry } from '../../core/plugins/loader.js';
import type { JsonObject } from '../../core/state/json.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { LatencyRecorder, nowMs } from './latency-recorder.js';
import type { ScenarioOptions, ScenarioResult } from './scenario.js';

/** A profile with one cheap command, so the round trip measures the framework, not a player. */
const benchProfile: DeviceProfile = {
  name: 'bench',
  commands: [
    defineCommand({
      name: 'echo',
      description: 'answers with its parameter',
      params: z.object({ value: z.number() }),
      handler: ({ value }) => ({ value }),
    }),
  ],
};

/** The same work as raw-mqtt.ts, through an Agent and a ControllerTransport on the same broker. */
export async function runAmora(registry: PluginRegistry, options: ScenarioOptions): Promise<ScenarioResult> {
  const deviceId = `bench-${process.pid}`;
  const config = parseConfig(
    { device: { id: deviceId, profile: 'bench' }, system: { enabled: false }, transports: [{ kind: 'mqtt', url: options.url }] },
    { env: {} },
  );
  const agent = await buildAgent(config, registry, { profile: benchProfile });
  const controller = await buildController(config, registry);
  const abort = new AbortController();
  await agent.start(abort.signal);
  await controller.start(abort.signal);
  await firstValueFrom(controller.status$.pipe(filter((s) => s.state === 'online')));
  await firstValueFrom(controller.connection$(deviceId).pipe(filter((p) => p === 'online')));
  try {
    const stateLatencySummary = await stateLatency(agent, controller, options);
    const commandRoundTripSummary = await commandRoundTrip(deviceId, controller, options);
    const { perSecond, delivered } = await throughput(agent, controller, options);
    return {
      stateLatency: stateLatencySummary,
      commandRoundTrip: commandRoundTripSummary,
      throughputPerSecond: perSecond,
      throughputDelivered: delivered,
    };
  } finally {
    await controller.stop();
    await agent.stop();
  }
}

/** The same ~300-byte state the raw baseline publishes. */
function playerState(i: number): JsonObject {
  return {
    audio: { volume: i % 100, backend: 'virtual', device: 'null' },
    playback: { status: 'playing', current_track: 'So What', position: i, duration: 545, playlist: 'Morning Jazz' },
    playlists: ['Morning Jazz', 'Focus', 'Road Trip'],
    system: { version: '0.1.0', uptime: 360 },
  };
}

async function stateLatency(agent: Agent, controller: ControllerTransport, options: ScenarioOptions) {
  const recorder = new LatencyRecorder();
  let expected = -1;
  let resolveNext: (() => void) | undefined;
  const subscription = controller.state$(agent.deviceId).subscribe((message) => {
    if (message.version >= expected) resolveNext?.();
  });
  try {
    for (let i = 1; i <= options.warmup + options.samples; i++) {
      const received = new Promise<void>((resolve) => (resolveNext = resolve));
      const start = nowMs();
      expected = agent.state.patch(playerState(i))?.snapshot.version ?? expected;
      await received;
      if (i > options.warmup) recorder.record(nowMs() - start);
    }
  } finally {
    subscription.unsubscribe();
  }
  return recorder.summary();
}

async function commandRoundTrip(deviceId: string, controller: ControllerTransport, options: ScenarioOptions) {
  const recorder = new LatencyRecorder();
  for (let i = 0; i < options.warmup + options.samples; i++) {
    const start = nowMs();
    const response = await controller.invoke(deviceId, 'echo', { value: i }, { timeoutMs: 10_000 });
    if (!response.success) throw new Error(`bench command failed: ${response.error.message}`);
    if (i >= options.warmup) recorder.record(nowMs() - start);
  }
  return recorder.summary();
}

/**
 * Patches as fast as the agent takes them; the rate is patches applied per second until the
 * controller has seen the last version. The agent may merge a burst into fewer messages (it sends
 * the latest state, not every intermediate one): that is the framework's behaviour being measured.
 */
async function throughput(agent: Agent, controller: ControllerTransport, options: ScenarioOptions) {
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
    agent.state.patch(playerState(first + i + 1_000_000));
    // Yield now and then so the transport's socket writes interleave with patching, as in a real device.
    if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  return { perSecond: options.throughputMessages / ((nowMs() - start) / 1000), delivered };
}
