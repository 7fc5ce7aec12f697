import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import {
  type JsonObject,
  type PluginRegistry,
} from '../../core/index.js';
import { findBinary } from '../../test/support/binaries.js';
import { startMpd, type MpdHandle } from '../../test/support/mpd.js';
import { openMpdSession, parseMpdObject, type MpdSession } from '../../test/support/mpd-protocol.js';
import { startAgentPair, type AgentPair } from './agent-pair.js';
import { LatencyRecorder, nowMs, type LatencySummary } from './latency-recorder.js';
import type { MpdResult } from './scenario.js';
import { deadline, pause, type ProbeOptions } from './transport-probe.js';

/**
 * Issue 3: how long a change made on MPD takes to reach a controller through the agent. A second,
 * raw MPD connection sets the volume (alternating values, so each is a real change); first a raw
 * `idle mixer` connection times MPD's own notification (the floor), then the agent (mpd player,
 * mqtt transport on the embedded broker) is timed until the controller's `state$` shows the volume.
 * Skipped, with the reason, when mpd is not installed.
 */
export async function runMpd(registry: PluginRegistry, probe: ProbeOptions): Promise<MpdResult | string> {
  const missing = mpdMissing();
  if (missing) return missing;
  const mpd = await startMpd();
  try {
    const control = await openMpdSession(mpd);
    try {
      const volumes = new VolumeToggle(Number(parseMpdObject(await control.request('status'))['volume']));
      const mpdIdle = await probeMpdIdle(mpd, control, volumes, probe);
      const agent = await probeThroughAgent(registry, mpd, control, volumes, probe);
      return {
        description: 'real MPD (software mixer, null output, stopped); setvol from a second raw connection; agent: mpd player + mqtt transport on the embedded broker',
        samples: probe.samples,
        pacingMs: probe.pacingMs,
        mpdIdle,
        agent,
      };
    } finally {
      control.close();
    }
  } finally {
    await mpd.dispose();
  }
}

/** Why the MPD scenario cannot run here, or undefined when it can. */
export function mpdMissing(): string | undefined {
  return findBinary('mpd') ? undefined : 'mpd is not installed (apt-get install mpd)';
}

/** Two volumes taken in turn, starting with the one MPD does not have now. */
class VolumeToggle {
  constructor(private current: number) {}

  next(): number {
    this.current = this.current === 40 ? 60 : 40;
    return this.current;
  }
}

/** `setvol` → a raw connection waiting in `idle mixer` is told: MPD's own notification latency. */
async function probeMpdIdle(mpd: MpdHandle, control: MpdSession, volumes: VolumeToggle, probe: ProbeOptions): Promise<LatencySummary> {
  const watcher = await openMpdSession(mpd);
  const recorder = new LatencyRecorder();
  // Armed before the change and re-armed at once after each answer, so MPD holds the idle
  // (during the pause) when the next setvol arrives.
  const arm = (): Promise<number> => watcher.request('idle mixer').then(() => nowMs());
  let notified = arm();
  try {
    for (let i = 0; i < probe.warmup + probe.samples; i++) {
      const volume = volumes.next();
      const start = nowMs();
      const [at] = await deadline(Promise.all([notified, control.request(`setvol ${volume}`)]), `MPD idle for setvol ${volume}`);
      notified = arm();
      if (i >= probe.warmup) recorder.record(at - start);
      await pause(probe.pacingMs);
    }
  } finally {
    // The idle left waiting fails when its connection closes; nobody needs that answer.
    notified.catch(() => undefined);
    watcher.close();
  }
  return recorder.summary();
}

/** `setvol` → the controller's `state$` shows the new volume, through the agent and the embedded broker. */
async function probeThroughAgent(
  registry: PluginRegistry,
  mpd: MpdHandle,
  control: MpdSession,
  volumes: VolumeToggle,
  probe: ProbeOptions,
): Promise<LatencySummary> {
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
  let pair: AgentPair | undefined;
  try {
    pair = await startAgentPair(registry, {
      deviceId: `bench-mpd-${process.pid}`,
      player: { kind: 'mpd', host: mpd.host, port: mpd.port },
      transport: { kind: 'mqtt', url: `mqtt://127.0.0.1:${broker.port}` },
    });
    const recorder = new LatencyRecorder();
    let expected = Number.NaN;
    let onSeen: ((time: number) => void) | undefined;
    const subscription = pair.controller.state$(pair.deviceId).subscribe((message) => {
      if (volumeOf(message.state) === expected) onSeen?.(nowMs());
    });
    try {
      for (let i = 0; i < probe.warmup + probe.samples; i++) {
        const volume = volumes.next();
        expected = volume;
        const seen = new Promise<number>((resolve) => {
          onSeen = (time) => {
            onSeen = undefined;
            resolve(time);
          };
        });
        const start = nowMs();
        const [at] = await deadline(Promise.all([seen, control.request(`setvol ${volume}`)]), `the controller seeing volume ${volume}`);
        if (i >= probe.warmup) recorder.record(at - start);
        await pause(probe.pacingMs);
      }
    } finally {
      subscription.unsubscribe();
    }
    return recorder.summary();
  } finally {
    await pair?.stop();
    await broker.close();
  }
}

function volumeOf(state: JsonObject): unknown {
  return (state['audio'] as { volume?: unknown } | undefined)?.volume;
}
