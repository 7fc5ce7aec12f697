import type { CommandResponse } from '../commands/types.js';
import type { JsonObject, JsonValue } from '../state/json.js';

/**
 * A message middleware: hooks a `middleware` plugin kind binds (TOKENS.MessageMiddleware) that
 * core applies around every transport, on the device side (agent) and on the controller side
 * (apps, `amora ctl`), so signing, encryption or auditing works on any transport. Every hook is
 * optional and async. A `seal*` hook turns what core sends into what goes on the wire; an `open*`
 * hook turns what came from the wire back, and throws a MiddlewareRefusal to refuse it. On a
 * device a refused command is answered `unauthorized` and never reaches its handler, a refused
 * desired update is dropped (and logged); at a controller a refused state or telemetry record is
 * dropped and a refused response becomes an `unauthorized` answer, each logged, counted and
 * reported (ControllerTransport.refused$).
 */
export interface MessageMiddleware {
  /** Names it in logs (the instance id, e.g. "signing"). */
  readonly name: string;

  /** Device: the reported state document going out (full; core derives the patch). */
  sealState?(deviceId: string, state: JsonObject): Promise<JsonObject>;
  /** Device: a command response going out. */
  sealResponse?(deviceId: string, response: CommandResponse): Promise<CommandResponse>;
  /** Device: one telemetry record's data going out. */
  sealTelemetry?(deviceId: string, kind: string, data: JsonValue, timestamp: number): Promise<JsonValue>;
  /** Device: a command come in; returns its params as the handler must see them. */
  openCommand?(command: CommandEnvelope): Promise<JsonObject>;
  /** Device: a desired-state patch come in; returns the patch to apply. */
  openDesired?(deviceId: string, patch: JsonObject): Promise<JsonObject>;

  /** Controller: a command going out; returns the params to send. */
  sealCommand?(command: CommandEnvelope): Promise<JsonObject>;
  /** Controller: a desired-state patch going out. */
  sealDesired?(deviceId: string, patch: JsonObject): Promise<JsonObject>;
  /** Controller: a device's state document come in. */
  openState?(deviceId: string, state: JsonObject): Promise<JsonObject>;
  /** Controller: a command response come in. */
  openResponse?(deviceId: string, response: CommandResponse): Promise<CommandResponse>;
  /** Controller: one telemetry record's data come in (what sealTelemetry sent). */
  openTelemetry?(deviceId: string, kind: string, data: JsonValue, timestamp: number): Promise<JsonValue>;
}

/** A command as the middleware sees it: whom it is for, what, and with which id. */
export interface CommandEnvelope {
  readonly deviceId: string;
  readonly command: string;
  readonly commandId: string;
  readonly params: JsonObject;
}

/** Thrown by an `open*` hook to refuse a message; the message says why (never a key). */
export class MiddlewareRefusal extends Error {
  override readonly name = 'MiddlewareRefusal';
}

/** What a controller's middleware refused: the message was dropped, never shown as the device's. */
export interface RefusedMessage {
  readonly deviceId: string;
  /** Which sort of message it was. */
  readonly what: 'state' | 'response' | 'telemetry';
  /** Why, in words (never a key). */
  readonly reason: string;
  /** The command's id (responses) or the telemetry kind (telemetry). */
  readonly commandId?: string;
  readonly kind?: string;
  /** Messages of this sort this controller has refused so far, this one included. */
  readonly total: number;
}

/** The error code a command refused by a middleware is answered with. */
export const UNAUTHORIZED = 'unauthorized';
