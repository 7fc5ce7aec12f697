import type { Clock } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { Deadlines, type Deadline } from './deadlines.js';
import type { CommandResponse } from './types.js';

/** One caller of a controller's invoke(), waiting for the answer to its command_id. */
export interface PendingCommand {
  /** Settles with the answer, or rejects on timeout, fail() or PendingCommands.rejectAll(). */
  readonly promise: Promise<CommandResponse>;
  /** Ends this call alone (its send failed); nothing once it is settled. */
  fail(error: unknown): void;
}

class Waiter implements PendingCommand {
  readonly promise: Promise<CommandResponse>;
  resolve!: (response: CommandResponse) => void;
  reject!: (error: unknown) => void;
  /** Another call waiting for the same command_id (rare: the caller chose the id). */
  next: Waiter | undefined = undefined;
  /** Undefined once settled, so whatever comes later changes nothing. */
  deadline: Deadline | undefined;

  constructor(
    /** The waiters of the PendingCommands this belongs to. */
    private readonly waiters: Map<string, Waiter>,
    readonly commandId: string,
    private readonly command: string,
    private readonly deviceId: string,
    private readonly timeoutMs: number,
    deadlines: Deadlines,
  ) {
    this.promise = new Promise<CommandResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.deadline = deadlines.add(timeoutMs, () => this.expire());
  }

  fail(error: unknown): void {
    if (this.deadline === undefined) return;
    this.remove();
    this.end();
    this.reject(error);
  }

  /** Marks it settled; the caller has taken it out of the waiters already. */
  end(): void {
    this.deadline!.cancel();
    this.deadline = undefined;
  }

  /** Takes it out of its command_id's chain (timeout or fail). */
  private remove(): void {
    let previous: Waiter | undefined;
    for (let current = this.waiters.get(this.commandId); current; previous = current, current = current.next) {
      if (current !== this) continue;
      if (previous) previous.next = current.next;
      else if (current.next) this.waiters.set(this.commandId, current.next);
      else this.waiters.delete(this.commandId);
      current.next = undefined;
      return;
    }
  }

  private expire(): void {
    if (this.deadline === undefined) return;
    // The deadline has fired: nothing to cancel.
    this.deadline = undefined;
    this.remove();
    const { commandId, deviceId } = this;
    this.reject(
      new TimeoutError(`no response to "${this.command}" (${commandId}) from ${deviceId} within ${this.timeoutMs} ms`, { details: { commandId, deviceId } }),
    );
  }
}

/**
 * The invoke() calls of a controller waiting for their answers, by command_id, every deadline on
 * one Deadlines timer (a setTimeout and a clearTimeout per command cost more than the rest of
 * waiting).
 *
 * Nothing here is async: settle() resolves the caller's promise straight from the handler of the
 * answer's message, so an answer costs its caller no promise hop beyond its own. Every way out
 * (answer, timeout, fail, rejectAll) removes the waiter and cancels its deadline.
 */
export class PendingCommands {
  /** The first waiter of each command_id; later calls with the same id are chained behind it. */
  private readonly waiters = new Map<string, Waiter>();
  private readonly deadlines: Deadlines;

  constructor(clock: Clock) {
    this.deadlines = new Deadlines(clock);
  }

  /** How many command_ids are waited for. */
  get size(): number {
    return this.waiters.size;
  }

  /**
   * Waits for the answer to `commandId`; after `timeoutMs` the promise rejects with a
   * TimeoutError naming the command and the device (`details: {commandId, deviceId}`).
   * Register before sending, so an answer that beats the send's acknowledgement is not missed.
   */
  add(commandId: string, timeoutMs: number, command: string, deviceId: string): PendingCommand {
    const waiter = new Waiter(this.waiters, commandId, command, deviceId, timeoutMs, this.deadlines);
    const first = this.waiters.get(commandId);
    if (first) {
      // Appended, so answers reach the calls in the order they were made.
      let last = first;
      while (last.next) last = last.next;
      last.next = waiter;
    } else {
      this.waiters.set(commandId, waiter);
    }
    return waiter;
  }

  /** Resolves every call waiting for `response.command_id`; an answer nobody waits for is ignored. */
  settle(response: CommandResponse): void {
    let waiter = this.waiters.get(response.command_id);
    if (!waiter) return;
    this.waiters.delete(response.command_id);
    while (waiter) {
      const next: Waiter | undefined = waiter.next;
      waiter.next = undefined;
      waiter.end();
      waiter.resolve(response);
      waiter = next;
    }
  }

  /** Rejects every waiting call with `error` (the controller stopping) and stops the timer. */
  rejectAll(error: unknown): void {
    const firsts = [...this.waiters.values()];
    this.waiters.clear();
    this.deadlines.close();
    for (const first of firsts) {
      for (let waiter: Waiter | undefined = first; waiter; ) {
        const next: Waiter | undefined = waiter.next;
        waiter.next = undefined;
        // The deadlines are closed already; this only marks it settled.
        waiter.deadline = undefined;
        waiter.reject(error);
        waiter = next;
      }
    }
  }
}
