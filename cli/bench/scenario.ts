import type { LatencySummary } from './latency-recorder.js';

/** What one implementation (raw mqtt.js or Amora Sync) is measured doing on one broker. */
export interface ScenarioResult {
  readonly stateLatency: LatencySummary;
  readonly commandRoundTrip: LatencySummary;
  /** Messages the receiver got per second, sender to receiver, pipelined (delivered, not sent or patched). */
  readonly throughputPerSecond: number;
  /** Amora only: patches applied per second until the controller saw the last one (a burst merges into fewer messages). */
  readonly patchesPerSecond?: number;
  /** Updates sent in the throughput run (publishes, or patches for Amora). */
  readonly throughputSent: number;
  /** Messages the receiver got: Amora merges a burst into fewer; a broker may drop some of raw's. */
  readonly throughputDelivered: number;
}

export interface ScenarioOptions {
  readonly url: string;
  readonly samples: number;
  readonly warmup: number;
  readonly throughputMessages: number;
  /** Fewer command round trips where each costs 44-88 ms (Nagle's algorithm meets delayed ACK). */
  readonly commands?: { readonly samples: number; readonly warmup: number };
}

/** One transport's figures in the MPD and cloud scenarios, all from `patch()` or `invoke()` on Amora's API. */
export interface TransportMeasures {
  /** `patch()` → the far end (broker, hub, shadow service) has taken the update in, timed at its own hook. */
  readonly atService?: LatencySummary;
  /** `patch()` → the controller's `state$` shows it; absent where the controller polls. */
  readonly atController?: LatencySummary;
  /** `invoke()` → the response. */
  readonly commandRoundTrip: LatencySummary;
}

/** Generic MQTT measured with the same samples and pacing, in the same run, as the scenarios beside it. */
export interface ReferenceResult {
  readonly description: string;
  readonly samples: number;
  readonly pacingMs: number;
  readonly mqtt: TransportMeasures;
  /** mqtt.js alone (no-delay sockets) on the same broker, same pacing: the floor on this machine. */
  readonly raw: { readonly stateLatency: LatencySummary; readonly commandRoundTrip: LatencySummary };
}

/** A volume change made on MPD, seen by MPD's own `idle` client and by the controller through the agent. */
export interface MpdResult {
  readonly description: string;
  readonly samples: number;
  readonly pacingMs: number;
  /** `setvol` from a second connection → a raw `idle mixer` connection is told (MPD alone). */
  readonly mpdIdle: LatencySummary;
  /** The same change → the controller's `state$` shows the volume (agent with the mpd player, MQTT). */
  readonly agent: LatencySummary;
}

/** A cloud transport measured through its local emulator. */
export interface CloudResult {
  readonly name: string;
  readonly description: string;
  readonly samples: number;
  readonly pacingMs: number;
  /** What `atService` means for this cloud, e.g. "twin patch accepted by the hub". */
  readonly serviceLabel: string;
  /** Why `atController` is missing, when it is. */
  readonly controllerNote?: string;
  readonly measures: TransportMeasures;
}

/** One pass of the signing scenario: mqtt.js alone, Amora without middleware, or with signing on. */
export interface SigningPass {
  readonly who: 'raw' | 'off' | 'on';
  /** The device's state update → the other end has it (raw: the app's subscription; Amora: the controller's state$). */
  readonly state: LatencySummary;
  /** Command → response. */
  readonly command: LatencySummary;
}

/** The signing middleware's cost: mqtt.js alone and generic MQTT with signing off and on, same broker and pacing. */
export interface SigningResult {
  readonly description: string;
  readonly samples: number;
  readonly pacingMs: number;
  /** In run order. */
  readonly passes: readonly SigningPass[];
}
