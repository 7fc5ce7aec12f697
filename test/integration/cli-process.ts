import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ReplaySubject, type Observable } from 'rxjs';
import { afterAll } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { CLI_MAIN, ROOT } from './cli-build.js';

/** How a CLI process ended. */
export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The outcome of a command run to its end. */
export interface CliResult extends CliExit {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment without the user's AMORA_* settings and Node compile-cache switches, so a
 * developer's AMORA_MQTT_URL, AMORA_CONFIG or NODE_COMPILE_CACHE cannot change what a spec tests.
 */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AMORA_') && key !== 'NODE_COMPILE_CACHE' && key !== 'NODE_DISABLE_COMPILE_CACHE') env[key] = value;
  }
  return { ...env, ...extra };
}

/** Every CLI process a spec file started that may still run. */
const running = new Set<CliProcess>();

// A test that times out never reaches its own `finally`, and a process it started (`watch`,
// `migrate status --watch`) would outlive the run and load every later test and benchmark: each
// spec file that starts CLIs ends whatever of them is left.
afterAll(() => Promise.all([...running].map((cli) => cli.kill())));

/** A running `node dist/cli/main.js ...`, with its output as line streams. */
export class CliProcess {
  readonly child: ChildProcess;
  /** Every stdout / stderr line so far, then each new one (replayed to late subscribers). */
  readonly stdout$: Observable<string>;
  readonly stderr$: Observable<string>;
  readonly exited: Promise<CliExit>;
  private readonly out: string[] = [];
  private readonly err: string[] = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI_MAIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.stdout$ = lines(this.child.stdout!, this.out);
    this.stderr$ = lines(this.child.stderr!, this.err);
    // 'close', not 'exit': by then every line of output has been read.
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  get stdout(): string {
    return this.out.join('\n');
  }

  get stderr(): string {
    return this.err.join('\n');
  }

  /** The first stdout line matching, waiting for it if need be; rejects if the process ends first. */
  stdoutLine(predicate: (line: string) => boolean): Promise<string> {
    return this.line(this.stdout$, predicate, 'stdout');
  }

  stderrLine(predicate: (line: string) => boolean): Promise<string> {
    return this.line(this.stderr$, predicate, 'stderr');
  }

  private async line(lines$: Observable<string>, predicate: (line: string) => boolean, name: string): Promise<string> {
    try {
      return await waitFor(lines$, predicate);
    } catch {
      const exit = await this.exited;
      throw new Error(`the CLI ended (code ${exit.code}, signal ${exit.signal}) without the expected ${name} line\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
    }
  }

  /** Sends a signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<CliExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** For afterAll: ends the process whatever state a failed test left it in. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Starts a long-running command (demo, broker, agent, watch). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return new CliProcess(args, env);
}

/** Runs a one-shot command (ctl, --help) to its end; it must exit by itself. */
export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const cli = new CliProcess(args, env);
  const exit = await cli.exited;
  return { ...exit, stdout: cli.stdout, stderr: cli.stderr };
}

function lines(stream: NodeJS.ReadableStream, sink: string[]): Observable<string> {
  const subject = new ReplaySubject<string>();
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  reader.on('line', (line) => {
    sink.push(line);
    subject.next(line);
  });
  reader.on('close', () => subject.complete());
  return subject.asObservable();
}
