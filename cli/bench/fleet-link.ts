import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CollectorFigures } from './collector-watch.js';

/**
 * The fleet bench runs its devices and its subscribers in child processes of their own, so each
 * side's heap, RSS and CPU are measured apart from the other's and from the orchestrator. This
 * is the typed message channel to one such child (Node's IPC channel of `fork`).
 */

/** Orchestrator → devices child. */
export type DevicesRequest =
  | { readonly type: 'start'; readonly kind: FleetKind; readonly pass: number; readonly url: string; readonly devices: number; readonly concurrency: number; readonly protocolVersion: 4 | 5 }
  | { readonly type: 'run'; readonly rate: number; readonly durationMs: number }
  | { readonly type: 'stop' };

/** Devices child → orchestrator. */
export type DevicesReply =
  | { readonly type: 'online'; readonly onlineMs: number; readonly heapPerDevice: number; readonly rssPerDevice: number }
  | { readonly type: 'sent'; readonly sent: number; readonly cpuMicros: number; readonly elapsedMs: number; readonly lateMs: readonly number[]; readonly collector: CollectorFigures }
  | { readonly type: 'failed'; readonly message: string };

/** Orchestrator → subscribers child. */
export type SubscribersRequest =
  /** Connect `clients` subscribers, `first` to `first + clients - 1` of the fleet's `fleetClients`. */
  | { readonly type: 'connect'; readonly url: string; readonly clients: number; readonly first: number; readonly fleetClients: number; readonly devices: number; readonly concurrency: number }
  /** Watch the devices of `pass`, and count and time every state sent at or after `since` (shared monotonic clock, ms). */
  | { readonly type: 'measure'; readonly pass: number; readonly since: number }
  | { readonly type: 'count' }
  | { readonly type: 'collect' }
  | { readonly type: 'stop' };

/** Subscribers child → orchestrator. */
export type SubscribersReply =
  | { readonly type: 'connected'; readonly connectMs: number; readonly heapPerClient: number; readonly rssPerClient: number }
  | { readonly type: 'measuring' }
  | { readonly type: 'count'; readonly delivered: number }
  /** CPU time since `measure`, µs, and `busy`: the share of one core that is (near 1: the subscribers may be the bottleneck). */
  | { readonly type: 'collected'; readonly delivered: number; readonly latenciesMs: readonly number[]; readonly cpuMicros: number; readonly busy: number }
  | { readonly type: 'failed'; readonly message: string };

/** What the devices of one pass are: Amora agents, or mqtt.js clients doing the same by hand. */
export type FleetKind = 'amora' | 'raw';

/** One child process and its messages, taken in order by type. */
export class ChildLink<Request extends { type: string }, Reply extends { type: string }> {
  private readonly waiting = new Map<string, ((reply: Reply) => void)[]>();
  private readonly queued: Reply[] = [];
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess, name: string) {
    child.on('message', (message) => this.arrive(message as Reply));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.fail(new Error(`${name} exited (${signal ?? `code ${code}`})`));
        resolve();
      }),
    );
  }

  send(request: Request): void {
    this.child.send(request);
  }

  /** The child's process id (its scheduler figures are read from it). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The next reply of `type`; rejects on a `failed` reply or when the child dies. */
  next<T extends Reply['type']>(type: T, timeoutMs = 120_000): Promise<Extract<Reply, { type: T }>> {
    const index = this.queued.findIndex((reply) => reply.type === type);
    if (index >= 0) return Promise.resolve(this.queued.splice(index, 1)[0] as Extract<Reply, { type: T }>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleet bench: no '${type}' from a child within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiting.get(type) ?? [];
      list.push((reply) => {
        clearTimeout(timer);
        if (reply.type === 'failed') reject(new Error((reply as unknown as { message: string }).message));
        else resolve(reply as Extract<Reply, { type: T }>);
      });
      this.waiting.set(type, list);
    });
  }

  /** Asks the child to stop, and kills it if it has not gone within a few seconds. */
  async stop(request: Request): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.child.connected) this.child.send(request);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private arrive(reply: Reply): void {
    if (reply.type === 'failed') return this.fail(new Error((reply as unknown as { message: string }).message));
    const list = this.waiting.get(reply.type);
    const resolve = list?.shift();
    if (resolve) resolve(reply);
    else this.queued.push(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const list of this.waiting.values()) for (const resolve of list.splice(0)) resolve({ type: 'failed', message: error.message } as unknown as Reply);
  }
}

/**
 * Forks a sibling module of this directory (built JavaScript), with `gc()` exposed for heap
 * figures, and the flags in AMORA_BENCH_CHILD_FLAGS (e.g. `--cpu-prof`, which NODE_OPTIONS refuses)
 * to profile the devices or subscribers.
 */
export function forkSibling<Request extends { type: string }, Reply extends { type: string }>(module: string, name: string): ChildLink<Request, Reply> {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const flags = process.env['AMORA_BENCH_CHILD_FLAGS']?.split(' ').filter(Boolean) ?? [];
  const child = fork(path, [], { execArgv: ['--expose-gc', ...flags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new ChildLink<Request, Reply>(child, name);
}

/** In a child: handles the orchestrator's requests one after the other, reporting a failure instead of dying silently. */
export function serveRequests<Request extends { type: string }, Reply extends { type: string }>(handle: (request: Request, reply: (message: Reply) => void) => Promise<void>): void {
  const reply = (message: Reply): void => {
    process.send?.(message);
  };
  let chain = Promise.resolve();
  process.on('message', (request: Request) => {
    chain = chain.then(() => handle(request, reply)).catch((error: unknown) => reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) } as unknown as Reply));
  });
  process.on('disconnect', () => process.exit(0));
}

/** Heap and RSS after a full collection (the child runs with --expose-gc). */
export function settledMemory(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, rss: usage.rss };
}

/**
 * The device ids of one pass, shared by its devices, the subscribers and the command probe. Each
 * pass has its own: a pass on the ids of an earlier one would find that pass's retained states and
 * presences on its topics, and Amora's persistent sessions holding what the other kind published
 * there since (measured at 10,000 devices: the last Amora pass took 18-23 s to come online
 * against 11-13 s for the first, as its agents took in and answered those strangers).
 */
export function fleetDeviceId(pass: number, index: number): string {
  return `fleet-${pass}-${String(index).padStart(5, '0')}`;
}

/** The state topic of device `index` of `pass`, where the subscribers and the counting subscriber listen. */
export function fleetStateTopic(pass: number, index: number): string {
  return `amora/devices/${fleetDeviceId(pass, index)}/state`;
}

/**
 * The device index subscriber `client` of `clients` watches, in a fleet of `devices`. With at least
 * as many subscribers as devices, client j watches device j mod N, so every device is watched.
 * With fewer, they are spread evenly over the fleet. The devices send in index order, each once a
 * round, so devices 0 to M - 1 would all send in one slice of every round: at 10,000 devices and
 * 200 subscribers, the first 20 ms of each second. Watched that way (until 2026-12-08), a 10 s
 * pass's p99 came from ten such slices, and whether a scavenge's pause fell in one decided it.
 */
export function watchedDevice(client: number, clients: number, devices: number): number {
  return clients >= devices ? client % devices : Math.floor((client * devices) / clients);
}

/** The devices the fleet's subscribers watch, each once, in index order. */
export function watchedDevices(clients: number, devices: number): number[] {
  return Array.from({ length: Math.min(clients, devices) }, (_, client) => watchedDevice(client, clients, devices));
}

/** The send time a fleet device put in its state message (`playback.position`), if the payload is one. */
export function sentAtOf(payload: Buffer): number | undefined {
  const sentAt = (JSON.parse(payload.toString()) as { state?: { playback?: { position?: unknown } } }).state?.playback?.position;
  return typeof sentAt === 'number' ? sentAt : undefined;
}
