import type { z } from 'zod';
import type { ErrorObject } from '../errors.js';
import type { JsonObject, JsonValue } from '../state/json.js';

/** A command as it travels on the wire (the AmoraOS seed format). */
export interface CommandRequest {
  readonly command: string;
  readonly command_id: string;
  readonly params: JsonObject;
  /** Sender's clock, epoch seconds or milliseconds; informational only (never used to expire). */
  readonly timestamp?: number;
  /**
   * Epoch ms after which the command must not run (answered `expired`): the caller has given up.
   * Compared with the device's clock; optional. MQTT 5 controllers use broker-side message expiry instead.
   */
  readonly expires_at?: number;
}

/** The answer to one command; `error` is present exactly when `success` is false. */
export type CommandResponse =
  | {
      readonly command_id: string;
      readonly command: string;
      readonly success: true;
      readonly result?: JsonValue;
      readonly timestamp: number;
    }
  | {
      readonly command_id: string;
      readonly command: string;
      readonly success: false;
      readonly error: ErrorObject;
      readonly timestamp: number;
    };

/** The error codes a command response can carry, with the HTTP-like status each maps to. */
export const COMMAND_ERROR_STATUS = {
  invalid_params: 400,
  unauthorized: 401,
  unknown_command: 404,
  not_found: 404,
  payload_too_large: 413,
  /** The command arrived after its `expires_at`: the caller had given up, so it did not run. */
  expired: 410,
  busy: 409,
  conflict: 409,
  handler_failed: 500,
  unavailable: 503,
  timeout: 504,
  /** The device has no such feature configured (a reboot without a hook, a sync without a source). */
  unsupported: 501,
} as const satisfies Record<string, number>;

export type CommandErrorCode = keyof typeof COMMAND_ERROR_STATUS;

/** What a handler gets besides its parameters. */
export interface CommandContext<Services = unknown> {
  readonly commandId: string;
  /** Aborted when the deadline passes or the agent stops. */
  readonly signal: AbortSignal;
  /**
   * The running agent's DeviceProfile.services (absent when the profile has none). With it one
   * list of specs, built once per process, serves every agent: a handler finds its device's
   * player (or anything else) here instead of closing over it.
   */
  readonly services?: Services;
}

/** One command of a device profile: its name, parameter schema and handler. */
export interface CommandSpec<S extends z.ZodType = z.ZodType, R extends JsonValue | void = JsonValue | void, Services = unknown> {
  readonly name: string;
  readonly description: string;
  readonly params: S;
  /** Overrides the dispatcher's default deadline for this command. */
  readonly timeoutMs?: number;
  readonly handler: (params: z.output<S>, context: CommandContext<Services>) => Promise<R> | R;
}

/** Helper that keeps a spec's parameter type tied to its schema (and its handler's services, if it uses them). */
export function defineCommand<S extends z.ZodType, R extends JsonValue | void, Services = unknown>(
  spec: CommandSpec<S, R, Services>,
): CommandSpec<S, R, Services> {
  return spec;
}
