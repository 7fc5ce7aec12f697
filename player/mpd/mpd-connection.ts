import mpd2 from 'mpd2';
import type { Clock } from '../../core/clock.js';
import { CommandError, TimeoutError } from '../../core/errors.js';
import { toConnectError } from './mpd-errors.js';

/** Where and how to reach MPD. */
export interface MpdTarget {
  readonly host: string;
  readonly port: number;
  readonly socketPath?: string;
  readonly password?: string;
  readonly connectTimeoutMs: number;
}

// mpd2 is CommonJS whose typings declare a default export; under NodeNext that default is
// `module.exports.default`, which mpd2 sets to the client class as well.
const MpdClientClass = mpd2.default;
type MpdClient = Awaited<ReturnType<typeof MpdClientClass.connect>>;

/**
 * One live connection to MPD through mpd2, made safe to use from an adapter:
 * - mpd2 never settles a command that is in flight when the socket closes; here it rejects with
 *   `unavailable`, and commands sent after the close reject at once;
 * - every command has a deadline;
 * - idle notifications (mpd2's `system` events) are handed to `onChange`, one call per subsystem.
 */
export class MpdConnection {
  private lost: CommandError | undefined;
  private readonly waiters = new Set<(error: CommandError) => void>();
  /** Resolves with the reason once the connection is gone (closed by MPD, the network or us). */
  readonly closed: Promise<CommandError>;

  private constructor(
    private readonly client: MpdClient,
    private readonly clock: Clock,
  ) {
    this.closed = new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Connects (greeting, password, mpd2's idle check) and starts listening for idle events. */
  static async open(target: MpdTarget, clock: Clock, onChange: (subsystem: string) => void): Promise<MpdConnection> {
    // A fresh config object per attempt: mpd2 deletes `password` from the config it is given, so a
    // reused object would reconnect without the password.
    const config =
      target.socketPath === undefined
        ? { host: target.host, port: target.port, timeout: target.connectTimeoutMs }
        : { path: target.socketPath, timeout: target.connectTimeoutMs };
    let client: MpdClient;
    try {
      client = await MpdClientClass.connect(target.password === undefined ? config : { ...config, password: target.password });
    } catch (error) {
      throw toConnectError(error);
    }
    // The timeout only guarded the handshake; an idle MPD link is normal. Small commands, no Nagle.
    client.socket.setTimeout(0);
    client.socket.setNoDelay(true);
    const connection = new MpdConnection(client, clock);
    client.on('system', onChange);
    client.once('close', () => connection.markLost(new CommandError('unavailable', 'the connection to MPD was lost')));
    if (client.socket.destroyed) connection.markLost(new CommandError('unavailable', 'the connection to MPD was lost'));
    return connection;
  }

  get isOpen(): boolean {
    return this.lost === undefined;
  }

  /** Sends one command line; resolves with MPD's answer text, rejects with mpd2's MPDError on ACK. */
  send(command: string, timeoutMs: number): Promise<string> {
    return this.guard(() => this.client.sendCommand(command), command, timeoutMs);
  }

  /** Sends commands as one command list: MPD runs them back to back and stops at the first failure. */
  sendList(commands: readonly string[], timeoutMs: number): Promise<string> {
    return this.guard(() => this.client.sendCommands([...commands]), commands.join('; '), timeoutMs);
  }

  /** Closes the socket; resolves once it is closed. */
  async close(): Promise<void> {
    if (this.lost !== undefined) return;
    this.markLost(new CommandError('unavailable', 'the MPD player is stopping'));
    await this.client.disconnect();
  }

  private guard(send: () => Promise<string>, description: string, timeoutMs: number): Promise<string> {
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
      send().then(
        (answer) => settle(() => resolve(answer)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  private markLost(reason: CommandError): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    for (const waiter of this.waiters) waiter(reason);
    this.waiters.clear();
  }
}
