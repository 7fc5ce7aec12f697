import type { AgentPair } from './agent-pair.js';
import { benchState, markerOf } from './bench-profile.js';
import { LatencyRecorder, nowMs, type LatencySummary } from './latency-recorder.js';

/** How many samples a probe takes and how it spaces them. */
export interface ProbeOptions {
  readonly samples: number;
  /** Samples taken first and thrown away (connections, JIT and caches warm up). */
  readonly warmup: number;
  /** Pause after each sample, ms; 0 runs them back to back. */
  readonly pacingMs: number;
}

/**
 * Calls `arrived` each time the far end (broker, hub, shadow service) takes in a state update of
 * the device being measured; returns its teardown. Called synchronously from the far end's own
 * event, so the time is taken where the service has the update, before anything else runs.
 */
export type ArrivalHook = (arrived: () => void) => () => void;

export interface StateProbeOptions extends ProbeOptions {
  /** Also time `patch()` → the far end has it. */
  readonly atService?: ArrivalHook;
  /** Time `patch()` → the controller's `state$` shows it. Default true. */
  readonly atController?: boolean;
}

export interface StateLatencies {
  readonly atService?: LatencySummary;
  readonly atController?: LatencySummary;
}

/**
 * Longest one sample may take before the benchmark gives up with an error instead of hanging; also
 * each command's `timeoutMs`, which sets the message expiry Amora gives it over MQTT 5.
 */
export const SAMPLE_DEADLINE_MS = 15_000;

/** Markers are unique across a run, so an update is never mistaken for an earlier one. */
let nextMarker = 1;

/**
 * `patch()` on the agent's state, one sample at a time: the time until the far end takes the
 * update in and/or until the controller's `state$` shows it, both from the same patch.
 */
export async function probeState(pair: AgentPair, options: StateProbeOptions): Promise<StateLatencies> {
  const atController = options.atController ?? true;
  const service = options.atService ? new LatencyRecorder() : undefined;
  const controller = atController ? new LatencyRecorder() : undefined;
  let expected = Number.NaN;
  let onService: (() => void) | undefined;
  let onController: (() => void) | undefined;
  const stopHook = options.atService?.(() => onService?.());
  const subscription = atController
    ? pair.controller.state$(pair.deviceId).subscribe((message) => {
        if (markerOf(message.state) === expected) onController?.();
      })
    : undefined;
  try {
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const marker = nextMarker++;
      const serviceAt = service ? new Promise<number>((resolve) => (onService = once(() => (onService = undefined), resolve))) : undefined;
      expected = marker;
      const controllerAt = controller ? new Promise<number>((resolve) => (onController = once(() => (onController = undefined), resolve))) : undefined;
      const start = nowMs();
      pair.agent.state.patch(benchState(marker));
      const [serviceTime, controllerTime] = await deadline(Promise.all([serviceAt, controllerAt]), `state update ${marker}`);
      if (i >= options.warmup) {
        if (serviceTime !== undefined) service?.record(serviceTime - start);
        if (controllerTime !== undefined) controller?.record(controllerTime - start);
      }
      await pause(options.pacingMs);
    }
  } finally {
    subscription?.unsubscribe();
    stopHook?.();
  }
  return {
    ...(service ? { atService: service.summary() } : {}),
    ...(controller ? { atController: controller.summary() } : {}),
  };
}

/** `invoke()` of the bench profile's `echo` → its response, one at a time. */
export async function probeCommands(pair: AgentPair, options: ProbeOptions): Promise<LatencySummary> {
  const recorder = new LatencyRecorder();
  for (let i = 0; i < options.warmup + options.samples; i++) {
    const elapsed = await commandRoundTrip(pair, i);
    if (i >= options.warmup) recorder.record(elapsed);
    await pause(options.pacingMs);
  }
  return recorder.summary();
}

/** One `invoke()` of the bench profile's `echo` with `value` → its response, in ms; a failed command throws. */
export async function commandRoundTrip(pair: Pick<AgentPair, 'controller' | 'deviceId'>, value: number): Promise<number> {
  const start = nowMs();
  const response = await pair.controller.invoke(pair.deviceId, 'echo', { value }, { timeoutMs: SAMPLE_DEADLINE_MS });
  const elapsed = nowMs() - start;
  if (!response.success) throw new Error(`bench command failed: ${response.error.message}`);
  return elapsed;
}

/** A callback that takes the time first, then clears itself and resolves with it. */
function once(clear: () => void, resolve: (time: number) => void): () => void {
  return () => {
    const time = nowMs();
    clear();
    resolve(time);
  };
}

/** Fails a sample that never completes (a lost message), naming it, instead of hanging the run. */
export async function deadline<T>(promise: Promise<T>, what: string, ms = SAMPLE_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`benchmark: no answer to ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Paces samples; a real wait, since spacing them is the point. */
export function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
