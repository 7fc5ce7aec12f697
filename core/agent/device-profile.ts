import type { Observable } from 'rxjs';
import type { CommandSpec } from '../commands/types.js';
import type { JsonObject, JsonValue } from '../state/json.js';

/** One command the reconciler wants run to move reported state towards desired. */
export interface ReconcileStep {
  readonly command: string;
  readonly params: JsonObject;
}

/**
 * What makes a device a particular kind of device: its commands and where its reported state
 * comes from. Core knows no device type; the player profile is one of these, a headset another.
 */
export interface DeviceProfile {
  readonly name: string;
  readonly commands: readonly CommandSpec[];
  /**
   * Handed to every command handler as `context.services`: what the handlers act on (the player
   * profile's player and features), so `commands` can be one list shared by every agent.
   */
  readonly services?: unknown;
  /** Partial reported-state updates (merge patches) from the device's own side, e.g. a player. */
  readonly state$?: Observable<JsonObject>;
  /**
   * Optional, with state$: hands `listener` what state$ emits (and its error) until the returned
   * function is called. The agent uses it instead of subscribing when a profile has it: an RxJS
   * subscription kept per agent is memory a fleet of in-process agents multiplies.
   */
  watchState?(listener: { next(patch: JsonObject): void; error(error: unknown): void }): () => void;
  /**
   * Commands that move reported towards desired, given the delta (desired minus reported) and the
   * current reported state (for desired keys that are not mirrored one to one in reported state).
   */
  reconcile?(delta: JsonObject, reported: JsonObject): readonly ReconcileStep[];
  /**
   * Commands run once when the agent has started, before desired state is applied: the device's
   * configured starting point (the player's starting volume and audio output).
   */
  readonly startup?: readonly ReconcileStep[];
  /** The `status` of the `<name>Status` telemetry message, from reported state; the whole reported state when absent. */
  status?(reported: JsonObject): JsonValue;
  /** Called as the agent begins to stop, before it waits for commands: long-running ones (a content sync) end early. */
  beforeStop?(): void;
}
