import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missingBinariesMessage } from './binaries.js';
import { freePort } from './free-port.js';
import { SupervisedProcess } from './supervised-process.js';

/**
 * A real Mosquitto on a random 127.0.0.1 port, for integration tests and the benchmark (so no
 * vitest here), configured the way docs/protocol.md tells users to configure theirs (see
 * renderConfig for why each setting is there).
 */
export interface MosquittoOptions {
  /** `set_tcp_nodelay true` in the config. Default true; the benchmark also measures false. */
  readonly nodelay?: boolean;
  /** `allow_anonymous`. Default true; set false with a password_file in extraConfig. */
  readonly allowAnonymous?: boolean;
  /** Keep sessions and retained messages across restart() (persistence in the temp dir). Default true. */
  readonly persistence?: boolean;
  /**
   * Lines appended after the listener line, so per-listener options (cafile, certfile, keyfile,
   * require_certificate) apply to it; global ones (password_file) work too.
   */
  readonly extraConfig?: string;
  /** Path of the mosquitto binary; found in PATH or /usr/sbin by default. */
  readonly binary?: string;
  /** A fixed port (e.g. one a client is already retrying); random by default. */
  readonly port?: number;
  /** Scheme of the returned url, e.g. 'mqtts' when extraConfig sets up TLS. Default 'mqtt'. */
  readonly scheme?: string;
}

export interface MosquittoHandle {
  readonly port: number;
  /** e.g. mqtt://127.0.0.1:41234 */
  readonly url: string;
  /** The temp directory holding the config; tests may put password or cert files there. */
  readonly dir: string;
  /** Stops the broker (SIGTERM, SIGKILL if it lingers) and awaits its exit. Idempotent. */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port. */
  restart(): Promise<void>;
  /** Kills it with SIGKILL (a crash: no goodbye to anyone) and awaits its exit. */
  kill(): Promise<void>;
  /** The last lines Mosquitto wrote, for failure messages. */
  log(): string;
  /** The running broker's process id (it changes with restart()); undefined while stopped. */
  pid(): number | undefined;
  /** Removes the temp directory after stopping. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const BIND_ATTEMPTS = 3;

/** Writes a config into a temp dir, starts `mosquitto -c`, resolves once it accepts connections. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const binary = options.binary ?? findBinary('mosquitto');
  if (binary === undefined) throw new Error(missingBinariesMessage(['mosquitto']));
  const dir = await mkdtemp(join(tmpdir(), 'amora-mosquitto-'));
  const configPath = join(dir, 'mosquitto.conf');
  const server = new SupervisedProcess('mosquitto', binary);
  let port = 0;

  const launch = async (): Promise<void> => {
    await writeFile(configPath, renderConfig(port, dir, options));
    await server.start(['-c', configPath], () => canConnect(port), READY_TIMEOUT_MS, `accept connections on ${port}`);
  };
  const stop = (): Promise<void> => server.stop();

  for (let attempt = 1; ; attempt++) {
    port = options.port ?? (await freePort());
    try {
      await launch();
      break;
    } catch (error) {
      await stop();
      // The port taken between freePort() and bind: try another one.
      if (options.port === undefined && attempt < BIND_ATTEMPTS && /Address already in use/i.test(server.log())) continue;
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  const scheme = options.scheme ?? 'mqtt';
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    dir,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    kill: () => server.stop('SIGKILL'),
    log: () => server.log(),
    pid: () => server.pid(),
    async dispose() {
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function renderConfig(port: number, dir: string, options: MosquittoOptions): string {
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.allowAnonymous === false ? 'false' : 'true'}`,
    '# Without it every QoS 1 round trip stalls 40-90 ms on Nagle + delayed ACK (docs/benchmarks.md).',
    `set_tcp_nodelay ${options.nodelay === false ? 'false' : 'true'}`,
    '# A controller watching a fleet is sent every retained state and presence at once: with the',
    '# default 1000 a controller of 1,400 devices lost messages (docs/protocol.md, broker settings).',
    'max_queued_messages 20000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    options.persistence === false
      ? 'persistence false'
      : '# QoS 1 commands reach an offline device only if its session survives a broker restart.\n' +
        `persistence true\npersistence_location ${dir}/`,
  ];
  // Run as root (CI containers), mosquitto drops to user "mosquitto", which cannot read or write
  // our private temp dir (persistence, password files, certificates). Keep the current user.
  if (process.getuid?.() === 0) lines.push('user root');
  if (options.extraConfig) lines.push(options.extraConfig);
  return `${lines.join('\n')}\n`;
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
