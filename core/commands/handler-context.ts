import type { CommandContext } from './types.js';

/**
 * The context a handler runs with. Its AbortController is made when the handler first reads
 * `signal`: most handlers never do, and a controller with its listener cost more than the rest of
 * running a quick command.
 *
 * A class, not an object literal with a `get signal()`: V8 builds such a literal in its runtime,
 * with a new getter closure each time. Measured on Node 20: ~780 ns a command against ~40 ns.
 */
export class HandlerContext<Services = unknown> implements CommandContext<Services> {
  private controller: AbortController | undefined;
  /** Why the command ended early, once it has (see abort). */
  private abortedBy: unknown;

  constructor(
    readonly commandId: string,
    readonly services: Services | undefined,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      // Read after the answer: the signal tells the truth about why it ended.
      if (this.abortedBy !== undefined) this.controller.abort(this.abortedBy);
    }
    return this.controller.signal;
  }

  /** The command was answered without its handler (deadline, agent stopping): tells the signal. */
  abort(reason: unknown): void {
    this.abortedBy = reason;
    this.controller?.abort(reason);
  }
}
