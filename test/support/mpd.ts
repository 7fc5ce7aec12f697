import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, missingBinariesMessage } from './binaries.js';
import { freePort } from './free-port.js';
import { mpdObject, mpdRequest, openMpdSession, parseMpdObject, quoteArgument, type MpdEndpoint } from './mpd-protocol.js';
import { SupervisedProcess } from './supervised-process.js';
import { wavFile } from './wav-file.js';

/**
 * A real MPD for integration tests and the benchmark (no vitest here): a generated config in a
 * temp dir (null output, software mixer, 127.0.0.1 on a random free port), a music directory of
 * short generated WAV files, stored playlists, and an updated database before it is handed over.
 */
export interface MpdTrackSpec {
  /** File name in the music directory, e.g. "first.wav". */
  readonly file: string;
  /** Title tag; without one MPD reports none and players fall back to the file name. */
  readonly title?: string;
  readonly seconds: number;
}

export interface MpdOptions {
  readonly tracks?: readonly MpdTrackSpec[];
  /** Stored playlists (written as .m3u files), name → track files. */
  readonly playlists?: Readonly<Record<string, readonly string[]>>;
  /** `software` (default) lets setvol work; `none` makes MPD refuse volume changes. */
  readonly mixer?: 'software' | 'none';
  /** Requires this password (the default permissions then allow nothing without it). */
  readonly password?: string;
  /** Also listen on a Unix socket in the temp dir (handle.socketPath). */
  readonly unixSocket?: boolean;
  /** Path of the mpd binary; found in PATH by default. */
  readonly binary?: string;
  /**
   * Raw mpd.conf text appended after the generated lines, for settings the options above do not
   * cover, e.g. `connection_timeout "1"` or `log_level "verbose"`. Do not repeat a setting the
   * harness writes (addresses, directories, the output): MPD 0.23 starts anyway and ignores one.
   */
  readonly extraConfig?: string;
}

export interface MpdHandle extends MpdEndpoint {
  /** The temp directory holding config, music, playlists and database. */
  readonly dir: string;
  /** The Unix socket MPD listens on too, when asked for with `unixSocket`. */
  readonly socketPath?: string;
  /** Runs mpc against this MPD and resolves with its stdout. */
  mpc(...args: string[]): Promise<string>;
  /** Sends one raw protocol command over a fresh connection; rejects with MpdAckError on ACK. */
  command(line: string): Promise<string[]>;
  /** `status` over a fresh connection, as key → value. */
  status(): Promise<Record<string, string>>;
  /** `currentsong` over a fresh connection, as key → value. */
  currentSong(): Promise<Record<string, string>>;
  /** Stops MPD gracefully (SIGTERM: it saves its state file) and awaits its exit. Idempotent. */
  stop(): Promise<void>;
  /** Kills MPD abruptly (SIGKILL), as a crash would, and awaits its exit. */
  kill(): Promise<void>;
  /** Stops MPD if running and starts it again on the same port with the same files. */
  restart(): Promise<void>;
  /** The last lines MPD wrote, for failure messages. */
  log(): string;
  /** Stops MPD and removes the temp directory. */
  dispose(): Promise<void>;
}

export const DEFAULT_MPD_TRACKS: readonly MpdTrackSpec[] = [
  { file: 'first-light.wav', title: 'First Light', seconds: 60 },
  { file: 'second-wind.wav', title: 'Second Wind', seconds: 60 },
  { file: 'untitled.wav', seconds: 60 },
];

export const DEFAULT_MPD_PLAYLISTS: Readonly<Record<string, readonly string[]>> = {
  Morning: ['first-light.wav', 'second-wind.wav'],
  Evening: ['untitled.wav', 'first-light.wav'],
};

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const BIND_ATTEMPTS = 3;

/** Starts `mpd --no-daemon` and resolves once it answers and its database is up to date. */
export async function startMpd(options: MpdOptions = {}): Promise<MpdHandle> {
  const binary = options.binary ?? findBinary('mpd');
  if (binary === undefined) throw new Error(missingBinariesMessage(['mpd']));
  const mpcBinary = findBinary('mpc');
  const dir = await mkdtemp(join(tmpdir(), 'amora-mpd-'));
  await writeLibrary(dir, options);
  const configPath = join(dir, 'mpd.conf');
  const server = new SupervisedProcess('mpd', binary);
  let port = 0;
  const endpoint = (): MpdEndpoint => ({ host: HOST, port, password: options.password });

  const launch = async (): Promise<void> => {
    await writeFile(configPath, renderConfig(dir, port, options));
    await server.start(['--no-daemon', '--stderr', configPath], () => greets(endpoint()), READY_TIMEOUT_MS, `answer on ${port}`);
  };
  const halt = (signal: NodeJS.Signals): Promise<void> => server.stop(signal);

  const mpc = (...args: string[]): Promise<string> => {
    if (mpcBinary === undefined) return Promise.reject(new Error(missingBinariesMessage(['mpc'])));
    const host = options.password === undefined ? HOST : `${options.password}@${HOST}`;
    return new Promise((resolve, reject) => {
      execFile(mpcBinary, ['-h', host, '-p', String(port), ...args], (error, stdout, stderr) => {
        if (error) reject(new Error(`mpc ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      });
    });
  };

  try {
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        break;
      } catch (error) {
        await halt('SIGKILL');
        // The port was taken between freePort() and bind: try another one.
        if (attempt < BIND_ATTEMPTS && /address already in use/i.test(server.log())) continue;
        throw error;
      }
    }
    await updateDatabase(endpoint());
  } catch (error) {
    await server.dispose('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    host: HOST,
    get port() {
      return port;
    },
    password: options.password,
    dir,
    socketPath: options.unixSocket ? join(dir, 'socket') : undefined,
    mpc,
    command: (line) => mpdRequest(endpoint(), line),
    status: () => mpdObject(endpoint(), 'status'),
    currentSong: () => mpdObject(endpoint(), 'currentsong'),
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGTERM');
      await launch();
    },
    log: () => server.log(),
    async dispose() {
      await server.dispose('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function writeLibrary(dir: string, options: MpdOptions): Promise<void> {
  const music = join(dir, 'music');
  const playlists = join(dir, 'playlists');
  await mkdir(music);
  await mkdir(playlists);
  for (const track of options.tracks ?? DEFAULT_MPD_TRACKS) {
    await writeFile(join(music, track.file), wavFile({ seconds: track.seconds, title: track.title }));
  }
  for (const [name, files] of Object.entries(options.playlists ?? DEFAULT_MPD_PLAYLISTS)) {
    await writeFile(join(playlists, `${name}.m3u`), `${files.join('\n')}\n`);
  }
}

function renderConfig(dir: string, port: number, options: MpdOptions): string {
  const lines = [
    `music_directory    ${quoteArgument(join(dir, 'music'))}`,
    `playlist_directory ${quoteArgument(join(dir, 'playlists'))}`,
    `db_file            ${quoteArgument(join(dir, 'db'))}`,
    `state_file         ${quoteArgument(join(dir, 'state'))}`,
    `pid_file           ${quoteArgument(join(dir, 'pid'))}`,
    `bind_to_address    "${HOST}"`,
    `port               "${port}"`,
    ...(options.unixSocket ? [`bind_to_address    ${quoteArgument(join(dir, 'socket'))}`] : []),
    // Tests ask for a database update themselves and wait for it; no inotify surprises meanwhile.
    'auto_update        "no"',
    'audio_output {',
    '  type       "null"',
    '  name       "null"',
    `  mixer_type "${options.mixer ?? 'software'}"`,
    '}',
  ];
  if (options.password !== undefined) {
    lines.push(`password ${quoteArgument(`${options.password}@read,add,control,admin`)}`, 'default_permissions ""');
  }
  if (options.extraConfig !== undefined) lines.push(options.extraConfig.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** True once MPD accepts a connection and sends its greeting. */
function greets(endpoint: MpdEndpoint): Promise<boolean> {
  return openMpdSession({ host: endpoint.host, port: endpoint.port }).then(
    (session) => {
      session.close();
      return true;
    },
    () => false,
  );
}

/**
 * Runs `update` and waits until no update job is left. One connection throughout: MPD keeps the
 * idle events a client has not collected yet, so `idle update` cannot miss the end of the job.
 */
async function updateDatabase(endpoint: MpdEndpoint): Promise<void> {
  const session = await openMpdSession(endpoint);
  try {
    await session.request('update');
    while (parseMpdObject(await session.request('status'))['updating_db'] !== undefined) {
      await session.request('idle update');
    }
  } finally {
    session.close();
  }
}
