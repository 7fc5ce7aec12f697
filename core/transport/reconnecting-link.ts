import type { Observable } from 'rxjs';
import type { Clock } from '../clock.js';
import { toErrorObject, type AmoraError, type ErrorObject } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ConnectionStatus } from './connection-status.js';
import { ConnectionStatusKeeper, sameStatus } from './connection-status-keeper.js';
import { ReconnectSchedule } from './reconnect-schedule.js';
import type { RetryPolicy } from './retry-policy.js';

/** What the setup after a connect learns about the connection it runs on. */
export interface LinkSession {
  /** The far end still had our session (MQTT): subscriptions and queued messages survived. */
  readonly sessionPresent: boolean;
  /** The first connection since start(). */
  readonly first: boolean;
  /** The endpoint this connection went to (one of `endpoints`). */
  readonly endpoint: string;
}

export interface ReconnectingLinkDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface ReconnectingLinkOptions {
  /** Names the far end in log lines ("MQTT broker", "IoT Hub"). */
  readonly name: string;
  /**
   * Where to connect, tried in turn: a failed attempt or a lost connection moves on to the next
   * (a standby broker), round robin. At least one.
   */
  readonly endpoints: readonly string[];
  /**
   * What a failing setup after a connect does: `report` goes online with the error in the status
   * (commands may still work); `reconnect` drops the connection and tries again after the backoff.
   */
  readonly setupFailure: 'report' | 'reconnect';
  /** The endpoint as health and logs may show it (without credentials). Default: as given. */
  readonly label?: (endpoint: string) => string;
  /** Which statuses count as repeats (hidden from status$). Default: core's sameStatus. */
  readonly sameStatus?: (a: ConnectionStatus, b: ConnectionStatus) => boolean;
}

/**
 * A connection kept up by the RetryPolicy, the loop every transport needs: start() resolves once
 * the first attempt has settled (online, or failed and retrying), every failure waits the
 * policy's backoff (the first connect too: a device may boot before its network), only what the
 * policy calls final (refused credentials) or `isFinal()` stops the retries, stop() says goodbye
 * first and is idempotent, `status$` tells it all, naming the endpoint in use.
 *
 * A transport extends it with what one attempt is (`open`), how to drop what an attempt left
 * (`release`, `shutdown`) and how to name a failure (`describeFailure`); `setUp` is its resync
 * after each connect (subscribe, announce, republish, drain the outbox).
 */
export abstract class ReconnectingLink {
  readonly status$: Observable<ConnectionStatus>;
  protected readonly statusKeeper: ConnectionStatusKeeper;
  protected readonly logger: Logger;
  protected readonly clock: Clock;
  private readonly schedule: ReconnectSchedule;
  private readonly endpoints: readonly string[];
  private endpointIndex = 0;
  /** Bumped on every attempt, loss and stop, so late events of an older connection are ignored. */
  private generation = 0;
  private connectedOnce = false;
  private isOnline = false;
  private isConnected = false;
  private started = false;
  private goodbyeSent = false;
  private stopping: Promise<void> | undefined;
  private firstAttempt: (() => void) | undefined;
  /** A loss reported between open() resolving and this link seeing it. */
  private earlyLoss: { readonly generation: number; readonly error: unknown } | undefined;

  constructor(
    private readonly linkOptions: ReconnectingLinkOptions,
    deps: ReconnectingLinkDeps,
  ) {
    if (linkOptions.endpoints.length === 0) throw new RangeError(`${linkOptions.name}: no endpoint to connect to`);
    this.endpoints = [...linkOptions.endpoints];
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.statusKeeper = new ConnectionStatusKeeper(deps.clock, linkOptions.sameStatus ?? sameStatus);
    this.status$ = this.statusKeeper.status$;
    this.schedule = new ReconnectSchedule(deps.retryPolicy, deps.clock);
  }

  /** True from a completed setup until the connection is lost. */
  get online(): boolean {
    return this.isOnline;
  }

  /** True while a connection is up (its setup may still be running). */
  get connected(): boolean {
    return this.isConnected;
  }

  /** The endpoint in use, or tried next. */
  get endpoint(): string {
    return this.endpoints[this.endpointIndex]!;
  }

  /** True once stop() was called. */
  protected get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /** True once stop() has said goodbye: nothing more may go out. */
  protected get closing(): boolean {
    return this.goodbyeSent;
  }

  /**
   * Connects; resolves once the first attempt has settled (online, or failed and retrying or
   * given up). An abort before then cancels the start; afterwards the owner's stop() follows.
   */
  start(signal: AbortSignal): Promise<void> {
    if (this.started || this.stopping) return Promise.resolve();
    this.started = true;
    // Only the first attempt listens: a listener left on the signal would keep it, its closure and
    // this link's start alive in every agent for as long as the signal lives.
    const onAbort = (): void => void (this.firstAttempt && this.stop());
    signal.addEventListener('abort', onAbort, { once: true });
    const settled = new Promise<void>((resolve) => (this.firstAttempt = resolve)).finally(() => signal.removeEventListener('abort', onAbort));
    void this.attempt();
    return settled;
  }

  /** Runs `beforeEnd` while still connected (a goodbye), then closes for good. Idempotent. */
  stop(beforeEnd?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.close(beforeEnd);
    return this.stopping;
  }

  /** Reports the owner's outbox counters in the status (they belong to the connection's health). */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.statusKeeper.setOutbox(outbox);
  }

  /**
   * One attempt at `endpoint`: resolves once the far end accepted the connection, rejects with
   * why not (after cleaning up what it opened). `lost` must be called when an accepted
   * connection ends later for any reason.
   */
  protected abstract open(endpoint: string, lost: (error: unknown) => void): Promise<{ readonly sessionPresent: boolean }>;

  /** Drops the connection of a lost or failed-setup attempt (no goodbye); bounded in time. */
  protected abstract release(): Promise<void>;

  /** Closes the connection on stop(), cleanly (no will), bounded in time; also cancels an attempt in progress. */
  protected abstract shutdown(): Promise<void>;

  /** Our error for a failed attempt or a lost connection (`lost`: it was connected). */
  protected abstract describeFailure(error: unknown, endpoint: string, lost: boolean): AmoraError;

  /** The resync after every connect, before the status turns online. */
  protected setUp(_session: LinkSession): Promise<void> {
    return Promise.resolve();
  }

  /** A connection (or an attempt) ended for any reason but stop(). */
  protected onDisconnected(_error: AmoraError): void {}

  /** The far end asked us to back off harder. */
  protected isThrottled(_error: AmoraError): boolean {
    return false;
  }

  /** Failures not to retry whatever the policy says (another connection took over the identity). */
  protected isFinal(_error: AmoraError): boolean {
    return false;
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    const generation = ++this.generation;
    const endpoint = this.endpoint;
    const stale = (): boolean => generation !== this.generation || this.stopping !== undefined;
    this.statusKeeper.setEndpoint(this.label(endpoint));
    this.statusKeeper.set('connecting', this.statusKeeper.current.error);
    let session: { readonly sessionPresent: boolean };
    try {
      session = await this.open(endpoint, (error) => this.lost(generation, error));
    } catch (error) {
      if (!stale()) this.failed(error, false);
      return;
    }
    if (this.earlyLoss?.generation === generation) {
      const { error } = this.earlyLoss;
      this.earlyLoss = undefined;
      if (!stale()) this.failed(error, true);
      return;
    }
    if (stale()) {
      // Stopped or replaced while connecting: shutdown() or the newer attempt owns what is open.
      if (!this.stopping) await this.release();
      return;
    }
    this.isConnected = true;
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    let setupError: ErrorObject | undefined;
    try {
      await this.setUp({ sessionPresent: session.sessionPresent, first, endpoint });
    } catch (error) {
      if (stale()) return; // lost again meanwhile: lost() reported it
      if (this.linkOptions.setupFailure === 'reconnect') {
        this.logger.error({ err: toErrorObject(error, 'transport_failed') }, `${this.linkOptions.name}: session setup failed after connect; reconnecting`);
        this.generation++;
        this.isConnected = false;
        await this.release();
        if (!this.stopping) this.failed(error, false);
        return;
      }
      setupError = toErrorObject(error, 'transport_failed');
      this.logger.error({ err: setupError }, `${this.linkOptions.name}: session setup failed after connect`);
    }
    if (stale()) return;
    this.schedule.succeeded();
    this.isOnline = true;
    this.statusKeeper.set('online', setupError);
    this.logger.info({ endpoint: this.label(endpoint) }, `${this.linkOptions.name} connected`);
    this.settleFirstAttempt();
  }

  private lost(generation: number, error: unknown): void {
    // After a newer attempt or stop, nothing; before attempt() saw open() resolve, it handles it.
    if (generation !== this.generation || this.stopping) return;
    if (!this.isConnected) {
      this.earlyLoss = { generation, error };
      return;
    }
    this.generation++;
    this.isOnline = false;
    this.isConnected = false;
    void this.release();
    this.failed(error, true);
  }

  private failed(error: unknown, lost: boolean): void {
    const endpoint = this.endpoint;
    const failure = this.describeFailure(error, endpoint, lost);
    this.onDisconnected(failure);
    this.statusKeeper.set('offline', failure.toJSON());
    this.settleFirstAttempt();
    const delay = this.isFinal(failure) ? undefined : this.schedule.failed(failure, this.isThrottled(failure), () => void this.attempt());
    if (delay === undefined) {
      this.logger.error({ err: failure.toJSON(), endpoint: this.label(endpoint) }, `${this.linkOptions.name} refused the connection; not retrying`);
      return;
    }
    if (this.endpoints.length > 1) this.endpointIndex = (this.endpointIndex + 1) % this.endpoints.length;
    this.logger[lost ? 'warn' : 'debug'](
      { err: failure.toJSON(), retryInMs: delay, attempt: this.schedule.attempts, next: this.label(this.endpoint) },
      `${this.linkOptions.name} offline; reconnecting`,
    );
  }

  private async close(beforeEnd: (() => Promise<void>) | undefined): Promise<void> {
    this.schedule.cancel();
    if (this.isConnected && beforeEnd) {
      try {
        await beforeEnd();
      } catch (error) {
        this.logger.warn({ err: toErrorObject(error, 'transport_failed') }, `${this.linkOptions.name}: goodbye not sent`);
      }
    }
    this.goodbyeSent = true;
    this.generation++;
    this.isOnline = false;
    this.isConnected = false;
    await this.shutdown();
    this.statusKeeper.set('closed', undefined);
    this.settleFirstAttempt();
  }

  private label(endpoint: string): string {
    return this.linkOptions.label ? this.linkOptions.label(endpoint) : endpoint;
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.();
    this.firstAttempt = undefined;
  }
}
