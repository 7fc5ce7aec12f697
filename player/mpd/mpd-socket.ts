import { connect, type Socket } from 'node:net';
import {
  CommandError,
} from '../../core/index.js';
import { MpdAckError } from './mpd-errors.js';

/** Where and how to reach MPD. */
export interface MpdTarget {
  readonly host: string;
  readonly port: number;
  readonly socketPath?: string;
  readonly password?: string;
  readonly connectTimeoutMs: number;
}

interface Pending {
  readonly resolve: (answer: string) => void;
  readonly reject: (error: Error) => void;
}

/**
 * One MPD protocol connection on a plain socket: greeting, password, then requests answered in
 * order. Our own few lines instead of mpd2 because mpd2 cannot leave a connection alone: after
 * every command it sends `idle` again (so each command becomes `noidle`, command, `idle`, and MPD
 * answers with two back-to-back small writes that wait out a delayed ACK, 20-40 ms), and it hands
 * idle notifications out only after a 16 ms debounce. Here a connection idles only when asked to.
 */
export class MpdSocket {
  private readonly queue: Pending[] = [];
  private buffer = '';
  private body = '';
  private lost: CommandError | undefined;
  private readonly closedResolvers: ((reason: CommandError) => void)[] = [];
  /** Resolves with the reason once the socket is closed (by MPD, the network or us). */
  readonly closed: Promise<CommandError>;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => this.closedResolvers.push(resolve));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('close', () => this.markLost(new CommandError('unavailable', 'the connection to MPD was lost')));
    // 'close' follows every 'error'; the pending requests learn of it there.
    socket.on('error', () => undefined);
  }

  /** Connects, reads the greeting and sends the password; rejects with MPD's ACK or the socket error. */
  static async open(target: MpdTarget): Promise<MpdSocket> {
    const socket =
      target.socketPath === undefined ? connect({ host: target.host, port: target.port }) : connect({ path: target.socketPath });
    // Requests are small and answered at once; Nagle would hold our second write for an ACK.
    socket.setNoDelay(true);
    const mpd = new MpdSocket(socket);
    const handshake = (async () => {
      await mpd.expectAnswer();
      if (target.password !== undefined) await mpd.request(`password ${quote(target.password)}`);
    })();
    try {
      await new Promise<void>((resolve, reject) => {
        // The socket's own error (ECONNREFUSED, ENOENT, the timeout below) says more than the close.
        socket.once('error', reject);
        socket.setTimeout(target.connectTimeoutMs, () =>
          socket.destroy(new CommandError('timeout', `MPD did not complete the handshake within ${target.connectTimeoutMs} ms`)),
        );
        void handshake.then(resolve, reject).finally(() => socket.off('error', reject));
      });
    } catch (error) {
      mpd.destroy();
      throw error;
    } finally {
      // The timeout guarded the handshake only; a quiet MPD link is normal.
      socket.setTimeout(0);
    }
    return mpd;
  }

  get isOpen(): boolean {
    return this.lost === undefined;
  }

  /**
   * Sends one command (or a whole command list) in one write; resolves with the answer's lines
   * before the final OK, each ending in a newline, or rejects with MpdAckError.
   */
  request(command: string): Promise<string> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    // A command list is the only multi-line request; every line of it is checked on its own.
    try {
      for (const line of command.split('\n')) assertNoControlCharacters(line, 'command');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const answer = this.expectAnswer();
    this.socket.write(`${command}\n`);
    return answer;
  }

  /** Closes the socket; resolves once it is closed. */
  async close(): Promise<void> {
    this.destroy();
    await this.closed;
  }

  private destroy(): void {
    this.markLost(new CommandError('unavailable', 'the MPD connection was closed'));
    this.socket.destroy();
  }

  private expectAnswer(): Promise<string> {
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (let end = this.buffer.indexOf('\n'); end >= 0 && this.lost === undefined; end = this.buffer.indexOf('\n', start)) {
      const line = this.buffer.slice(start, end);
      start = end + 1;
      if (line === 'OK' || line.startsWith('OK MPD ')) {
        const answer = this.body;
        this.body = '';
        this.next().resolve(answer);
      } else if (line.startsWith('ACK ')) {
        this.body = '';
        this.next().reject(new MpdAckError(line));
      } else if (this.queue.length === 0) {
        // Answer lines nobody asked for: see next().
        this.destroy();
      } else {
        this.body += `${line}\n`;
      }
    }
    this.buffer = this.buffer.slice(start);
  }

  /**
   * The oldest request. An answer nobody asked for means the socket is out of step with MPD (a
   * request ran as two commands): handing it to the next caller would give that caller someone
   * else's answer, so the socket is closed instead and the next command opens a fresh one.
   */
  private next(): Pending {
    const pending = this.queue.shift();
    if (pending) return pending;
    this.destroy();
    return { resolve: () => undefined, reject: () => undefined };
  }

  private markLost(reason: CommandError): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    for (const pending of this.queue.splice(0)) pending.reject(reason);
    for (const resolve of this.closedResolvers.splice(0)) resolve(reason);
  }
}

/**
 * Quotes one MPD protocol argument (backslashes and double quotes escaped).
 * @throws CommandError `invalid_params` for a control character: MPD reads a newline as the end of
 * the command, so `"nope\nrm Evening"` would run `rm Evening` as a second command.
 */
export function quote(value: string): string {
  assertNoControlCharacters(value, 'argument');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The first C0 control or DEL in `value`: none has a meaning inside an MPD argument, and a line feed ends the command. */
function firstControlCharacter(value: string): number | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return code;
  }
  return undefined;
}

/** @throws CommandError `invalid_params` when `value` holds a control character. */
export function assertNoControlCharacters(value: string, what: string): void {
  const found = firstControlCharacter(value);
  if (found === undefined) return;
  const code = `U+${found.toString(16).padStart(4, '0').toUpperCase()}`;
  throw new CommandError('invalid_params', `MPD ${what} must not contain control characters (found ${code})`, {
    details: { character: code },
  });
}
