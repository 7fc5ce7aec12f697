import type { InboundCommand } from '../transport/device-transport.js';
import type { CommandRequest, CommandResponse } from './types.js';

/**
 * Validates and runs commands. `dispatch` never throws: every input, however malformed, ends in a
 * response (or in `undefined` plus a log line when no command_id could be read to answer to).
 */
export interface CommandDispatcherApi {
  /** `limits.maxPayloadBytes` is the carrying transport's own limit, when it has one. */
  dispatch(inbound: InboundCommand, limits?: { readonly maxPayloadBytes?: number }): Promise<CommandResponse | undefined>;
  /** Runs an already-decoded request (used by the reconciler and local callers). */
  execute(request: CommandRequest): Promise<CommandResponse>;
}
