import {
  CommandError,
  TimeoutError,
  type Clock,
} from '../../core/index.js';
import { isMpdAck, toConnectError } from './mpd-errors.js';
import { answerLines } from './mpd-response.js';
import { MpdSocket, type MpdTarget } from './mpd-socket.js';

export type { MpdTarget } from './mpd-socket.js';

/**
 * One live link to MPD made of two sockets, so a change reaches us in one MPD write and our read
 * of it is answered in one more:
 * - the idle socket only ever sends `idle` and hands each `changed: X` line to `onChange` as soon
 *   as the answer arrives; its loss is the loss of the link (`closed`);
 * - the command socket never idles: commands and state reads go straight out, with no `noidle`
 *   first, so MPD never answers with two back-to-back writes (which would wait for a delayed ACK).
 *   MPD drops a client that is quiet for `connection_timeout` (60 s by default; idling clients are
 *   exempt), so when it goes while the idle socket lives, the next command reopens it.
 * Every command has a deadline and rejects with `unavailable` once the link is gone.
 */
export class MpdConnection {
  private lost: CommandError | undefined;
  private readonly waiters = new Set<(error: CommandError) => void>();
  private reopening: Promise<MpdSocket> | undefined;
  /** Resolves with the reason once the link is gone (closed by MPD, the network or us). */
  readonly closed: Promise<CommandError>;

  private constructor(
    private readonly target: MpdTarget,
    private readonly idle: MpdSocket,
    private commands: MpdSocket,
    private readonly clock: Clock,
  ) {
    this.closed = new Promise((resolve) => this.waiters.add(resolve));
    void idle.closed.then((reason) => this.markLost(reason));
  }

  /** Opens both sockets (greeting, password, a first `status` proving access) and starts watching for changes. */
  static async open(target: MpdTarget, clock: Clock, onChange: (subsystem: string) => void): Promise<MpdConnection> {
    const opening = [MpdSocket.open(target), MpdSocket.open(target)];
    let sockets: MpdSocket[];
    try {
      sockets = await Promise.all(opening);
      // `status` needs read permission: without a password MPD refuses it here, not later.
      await sockets[1]!.request('status');
    } catch (error) {
      await Promise.allSettled(opening.map(async (socket) => (await socket).close()));
      throw toConnectError(error);
    }
    const connection = new MpdConnection(target, sockets[0]!, sockets[1]!, clock);
    void connection.watch(onChange);
    return connection;
  }

  get isOpen(): boolean {
    return this.lost === undefined;
  }

  /** Sends one command line; resolves with MPD's answer text, rejects with MpdAckError on ACK. */
  send(command: string, timeoutMs: number): Promise<string> {
    return this.guard(command, command, timeoutMs);
  }

  /** Sends commands as one command list: MPD runs them back to back and stops at the first failure. */
  sendList(commands: readonly string[], timeoutMs: number): Promise<string> {
    return this.guard(['command_list_begin', ...commands, 'command_list_end'].join('\n'), commands.join('; '), timeoutMs);
  }

  /** Closes both sockets; resolves once they are closed. */
  async close(): Promise<void> {
    if (this.lost !== undefined) return;
    this.markLost(new CommandError('unavailable', 'the MPD player is stopping'));
    const reopened = this.reopening?.then((socket) => socket.close()).catch(() => undefined);
    await Promise.all([this.idle.close(), this.commands.close(), reopened]);
  }

  /** Idles until the link is gone. Each answer is handed out at once: no debounce, no batching timer. */
  private async watch(onChange: (subsystem: string) => void): Promise<void> {
    while (this.lost === undefined) {
      let answer: string;
      try {
        answer = await this.idle.request('idle');
      } catch (error) {
        // The socket's loss already marked the link lost; an ACK here (permission) means it is useless.
        if (isMpdAck(error)) this.markLost(new CommandError('unavailable', `MPD refused idle: ${error.message}`, { cause: error }));
        await this.idle.close();
        return;
      }
      for (const line of answerLines(answer)) {
        if (line.startsWith('changed: ')) onChange(line.slice('changed: '.length));
      }
    }
  }

  private guard(request: string, description: string, timeoutMs: number): Promise<string> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const settle = (finish: () => void): void => {
        if (done) return;
        done = true;
        timer.cancel();
        this.waiters.delete(onLost);
        finish();
      };
      const onLost = (error: CommandError): void => settle(() => reject(error));
      const timer = this.clock.setTimeout(
        () => settle(() => reject(new TimeoutError(`MPD did not answer "${description}" within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.waiters.add(onLost);
      this.request(request).then(
        (answer) => settle(() => resolve(answer)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  /**
   * Sends on the command socket. When MPD drops that socket for quietness just as the request
   * leaves, the request is sent once more on a new socket: MPD drops only clients that sent
   * nothing, so the first copy was never run.
   */
  private async request(request: string): Promise<string> {
    const socket = await this.commandSocket();
    try {
      return await socket.request(request);
    } catch (error) {
      if (socket.isOpen || this.lost !== undefined || isMpdAck(error)) throw error;
      return (await this.commandSocket()).request(request);
    }
  }

  /** The command socket, reopened once (shared by concurrent callers) if MPD dropped it for quietness. */
  private commandSocket(): Promise<MpdSocket> {
    if (this.commands.isOpen) return Promise.resolve(this.commands);
    this.reopening ??= MpdSocket.open(this.target).then(
      (socket) => {
        this.reopening = undefined;
        if (this.lost !== undefined) {
          void socket.close();
          throw this.lost;
        }
        this.commands = socket;
        return socket;
      },
      (error: unknown) => {
        this.reopening = undefined;
        throw new CommandError('unavailable', 'the connection to MPD was lost and could not be reopened', {
          cause: toConnectError(error),
        });
      },
    );
    return this.reopening;
  }

  private markLost(reason: CommandError): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    for (const waiter of this.waiters) waiter(reason);
    this.waiters.clear();
    // The link is one unit: with the idle socket gone, the command socket must not outlive it.
    void this.commands.close();
  }
}
