import { BehaviorSubject, type Observable } from 'rxjs';
import { systemClock, type Clock } from '../clock.js';
import { toErrorObject, type ErrorObject } from '../errors.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { OfflineReason } from '../transport/wire-messages.js';
import type { Lifecycle } from './lifecycle.js';

/** Where one component is in its life. */
export type ComponentPhase = 'idle' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

export interface ComponentStatus {
  readonly id: string;
  readonly phase: ComponentPhase;
  /** Epoch milliseconds when this phase was entered. */
  readonly since: number;
  /** Why start (or stop) failed. */
  readonly error?: ErrorObject;
}

export interface LifecycleStartResult {
  readonly started: readonly string[];
  readonly failed: readonly { readonly id: string; readonly error: ErrorObject }[];
}

export interface LifecycleManagerOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * Starts components in order and stops them in reverse, each in its own try/catch so one failure
 * is logged and reported instead of stopping the rest (zigbee2mqtt's extension loop). An abort of
 * the start signal, or stop() during start, stops whatever already started.
 */
export class LifecycleManager {
  private readonly components: readonly Lifecycle[];
  private readonly logger: Logger;
  private readonly clock: Clock;
  private statusValue: Readonly<Record<string, ComponentStatus>>;
  /** Made when status$ is first read (health$ is built on first watch, and many agents are never watched). */
  private statuses?: BehaviorSubject<Readonly<Record<string, ComponentStatus>>>;
  /** How many components, from the first, had their start attempted; those are the ones stop() visits. */
  private attempted = 0;
  /** Aborted by stop() or by the caller's signal while start() runs; handed to every component's start. */
  private run?: AbortController;
  private startCalled = false;
  private stopping?: Promise<void>;

  constructor(components: readonly Lifecycle[], options: LifecycleManagerOptions = {}) {
    const ids = new Set<string>();
    for (const component of components) {
      if (ids.has(component.id)) throw new Error(`duplicate lifecycle component id "${component.id}"`);
      ids.add(component.id);
    }
    this.components = [...components];
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    const now = this.clock.now();
    this.statusValue = Object.fromEntries(this.components.map((c) => [c.id, { id: c.id, phase: 'idle', since: now } as ComponentStatus]));
  }

  /** Per-component status, replayed to new subscribers and re-emitted on every phase change. */
  get status$(): Observable<Readonly<Record<string, ComponentStatus>>> {
    this.statuses ??= new BehaviorSubject(this.statusValue);
    return this.statuses.asObservable();
  }

  /** The current status of every component. */
  get status(): Readonly<Record<string, ComponentStatus>> {
    return this.statusValue;
  }

  /**
   * Starts every component in order. Resolves with what started and what failed; rejects with the
   * abort reason (after stopping what started) when `signal` aborts or stop() is called meanwhile.
   */
  async start(signal?: AbortSignal): Promise<LifecycleStartResult> {
    if (this.startCalled) throw new Error('LifecycleManager.start() called twice');
    this.startCalled = true;
    const run = new AbortController();
    this.run = run;
    const onAbort = (): void => run.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    const started: string[] = [];
    const failed: { id: string; error: ErrorObject }[] = [];
    try {
      for (const component of this.components) {
        if (run.signal.aborted) break;
        this.attempted++;
        this.setPhase(component.id, 'starting');
        try {
          await raceAbort(component.start(run.signal), run.signal);
          this.setPhase(component.id, 'running');
          started.push(component.id);
        } catch (error) {
          if (run.signal.aborted) break;
          const errorObject = toErrorObject(error, 'unavailable');
          this.logger.error({ component: component.id, err: errorObject }, 'component failed to start');
          this.setPhase(component.id, 'failed', errorObject);
          failed.push({ id: component.id, error: errorObject });
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Only a start in progress is aborted by stop(): the controller need not outlive it.
      if (!run.signal.aborted) this.run = undefined;
    }

    if (run.signal.aborted) {
      await this.stop();
      throw run.signal.reason ?? new Error('start aborted');
    }
    return { started, failed };
  }

  /**
   * Stops every component whose start was attempted, in reverse order, each isolated. Idempotent.
   * `reason` is passed to each component (transports announce it with their offline presence).
   */
  stop(reason?: OfflineReason): Promise<void> {
    this.stopping ??= this.stopAll(reason);
    return this.stopping;
  }

  private async stopAll(reason?: OfflineReason): Promise<void> {
    this.run?.abort(new Error('stopped'));
    for (const component of this.components.slice(0, this.attempted).toReversed()) {
      const previous = this.statusValue[component.id];
      this.setPhase(component.id, 'stopping', previous?.error);
      try {
        await (reason === undefined ? component.stop() : component.stop(reason));
        this.setPhase(component.id, 'stopped', previous?.phase === 'failed' ? previous.error : undefined);
      } catch (error) {
        const errorObject = toErrorObject(error, 'unavailable');
        this.logger.error({ component: component.id, err: errorObject }, 'component failed to stop');
        this.setPhase(component.id, 'stopped', errorObject);
      }
    }
  }

  private setPhase(id: string, phase: ComponentPhase, error?: ErrorObject): void {
    const status: ComponentStatus = error
      ? { id, phase, since: this.clock.now(), error }
      : { id, phase, since: this.clock.now() };
    this.statusValue = { ...this.statusValue, [id]: status };
    this.statuses?.next(this.statusValue);
  }
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (a component may ignore its signal). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
