import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const STOP_GRACE_MS = 5_000;
const LOG_LINES = 200;

/**
 * A system binary run as a server for tests and the benchmark (Mosquitto, MPD): the tail of its
 * stderr for failure messages, a start that waits until the server is ready (failing fast when
 * the process exits first), and stop/kill that await the exit. Restarts reuse the same instance.
 */
export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  // An orphaned server would outlive a crashed test run and keep its port.
  private readonly killOnExit = (): void => void this.child?.kill('SIGKILL');

  /** `name` is what messages call the process, e.g. "mosquitto". */
  constructor(
    private readonly name: string,
    private readonly binary: string,
  ) {
    process.once('exit', this.killOnExit);
  }

  /**
   * Spawns the binary with `args` and polls `ready` until it answers true. Rejects with the log
   * when the process exits first, or when it is not ready within `timeoutMs` (`notReady` says
   * what it failed to do, e.g. "accept connections on 1883").
   */
  async start(args: readonly string[], ready: () => Promise<boolean>, timeoutMs: number, notReady: string): Promise<void> {
    const started = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = started;
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.lines.push(...chunk.split('\n').filter(Boolean));
      if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
    });
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    const onExit = (): void => {
      exited = true;
    };
    started.once('exit', onExit);
    try {
      for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
        if (exited) throw new Error(`${this.name} exited during startup (code ${started.exitCode}):\n${this.log()}`);
        if (await ready()) return;
        if (Date.now() > deadline) throw new Error(`${this.name} did not ${notReady}:\n${this.log()}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    } finally {
      started.removeListener('exit', onExit);
    }
  }

  /** The running process's id; undefined before start and after it exits. */
  pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** The last lines the process wrote to stderr. */
  log(): string {
    return this.lines.join('\n');
  }

  /** Sends `signal` (SIGKILL if the process lingers) and awaits its exit. Idempotent. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const running = this.child;
    this.child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the process and drops the exit hook; the instance is done. */
  async dispose(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    process.removeListener('exit', this.killOnExit);
  }
}
