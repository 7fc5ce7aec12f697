import type { Observable } from 'rxjs';
import { WebSocket } from 'ws';
import {
  AuthenticationError,
  ConnectionStatusKeeper,
  ReconnectSchedule,
  redactString,
  TimeoutError,
  toErrorObject,
  TransportError,
  type Clock,
  type ConnectionStatus,
  type ErrorObject,
  type Logger,
  type RetryPolicy,
} from '../../core/index.js';
import { CLOSE_CODES, encodeFrame, hubFrameSchema, parseFrame, type ClientFrame, type HubFrame } from './protocol.js';

/** What one connection needs; each transport builds it from its options. */
export interface HubConnectionSettings {
  readonly url: string;
  readonly token?: string;
  readonly connectTimeoutMs: number;
  /** Ping interval; a hub that has not answered the previous ping by the next is taken as lost. 0 disables. */
  readonly keepaliveMs: number;
  readonly maxPayloadBytes: number;
  /** The hello frame (without the token), sent first on every connection. */
  readonly hello: Extract<ClientFrame, { type: 'hello' }>;
}

export interface HubConnectionHooks {
  /** After every welcome and before the status turns online: resend state, drain the outbox. */
  onWelcome(welcome: Extract<HubFrame, { type: 'welcome' }>): Promise<void>;
  /** Every other frame the hub sends. */
  onFrame(frame: HubFrame): void;
  /** A connection ended for any reason but stop(). */
  onDisconnected?(): void;
}

export interface HubConnectionDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** How long stop() waits for the hub to acknowledge the close before cutting the socket. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * One WebSocket to the hub, kept open with the injected RetryPolicy (exponential backoff by
 * default; refused tokens are not retried, nor is a connection another one took over). Shared by the device and the controller transport.
 * Nothing happens before start(): the constructor only sets fields.
 */
export class HubConnection {
  private readonly status: ConnectionStatusKeeper;
  private readonly reconnect: ReconnectSchedule;
  /** Current status; repeats are hidden so subscribers see changes only. */
  readonly status$: Observable<ConnectionStatus>;

  private socket: WebSocket | undefined;
  private isOnline = false;
  private lastError: unknown;
  private started = false;
  private stopping: Promise<void> | undefined;
  private firstAttempt: (() => void) | undefined;

  constructor(
    private readonly settings: HubConnectionSettings,
    private readonly hooks: HubConnectionHooks,
    private readonly deps: HubConnectionDeps,
  ) {
    this.status = new ConnectionStatusKeeper(deps.clock);
    this.status$ = this.status.status$;
    this.reconnect = new ReconnectSchedule(deps.retryPolicy, deps.clock);
  }

  /** Welcomed by the hub and resynced. */
  get online(): boolean {
    return this.isOnline;
  }

  /** Connects; resolves once the first attempt has settled (online, or failed and retrying). */
  start(signal: AbortSignal): Promise<void> {
    if (this.started || this.stopping) return Promise.resolve();
    this.started = true;
    // Aborted while the first attempt is pending: give up starting. Later the owner's stop() follows.
    signal.addEventListener('abort', () => void (this.firstAttempt && this.stop()), { once: true });
    const settled = new Promise<void>((resolve) => (this.firstAttempt = resolve));
    this.attempt();
    return settled;
  }

  /** Sends `goodbye` while still connected, closes the socket and stays closed. Idempotent. */
  stop(goodbye?: ClientFrame): Promise<void> {
    this.stopping ??= this.close(goodbye);
    return this.stopping;
  }

  /** Sends one frame; resolves once it is written to the socket. */
  send(frame: ClientFrame): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new TransportError('unavailable', 'not connected to the hub'));
    }
    let text: string;
    try {
      text = encodeFrame(frame, this.settings.maxPayloadBytes, `${frame.type} frame`);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      socket.send(text, (error) => {
        if (error) reject(new TransportError('transport_failed', `sending a ${frame.type} frame failed: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  /** Reports the owner's outbox counters in the status. */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.status.setOutbox(outbox);
  }

  /** Cuts the socket without a close handshake, as a network failure would (tests, chaos drills). */
  interrupt(): void {
    this.socket?.terminate();
  }

  private attempt(): void {
    if (this.stopping) return;
    this.status.set('connecting', this.status.current.error);
    const socket = new WebSocket(this.settings.url, {
      handshakeTimeout: this.settings.connectTimeoutMs,
      // Frames from the hub may carry large commands; core refuses oversized ones with an answer.
      maxPayload: Math.max(this.settings.maxPayloadBytes * 4, 1024 * 1024),
      perMessageDeflate: false,
    });
    this.socket = socket;
    // The hub must welcome us in time, not merely accept the TCP connection.
    const deadline = this.deps.clock.setTimeout(() => {
      this.lastError = new TimeoutError(`the hub did not welcome us within ${this.settings.connectTimeoutMs} ms`);
      socket.terminate();
    }, this.settings.connectTimeoutMs);

    socket.on('open', () => {
      const { token } = this.settings;
      socket.send(JSON.stringify(token === undefined ? this.settings.hello : { ...this.settings.hello, token }));
    });
    socket.on('message', (data, isBinary) => {
      if (socket !== this.socket || isBinary) return;
      const frame = parseFrame(hubFrameSchema, data.toString());
      if (!frame) {
        this.deps.logger.debug('ignoring a malformed frame from the hub');
        return;
      }
      // A controller's kept state and presence come before its welcome.
      if (frame.type !== 'welcome') {
        this.hooks.onFrame(frame);
        return;
      }
      deadline.cancel();
      this.keepAlive(socket);
      void this.onWelcome(socket, frame);
    });
    socket.on('error', (error) => {
      if (socket === this.socket) this.lastError = error;
    });
    socket.on('close', (code, reason) => {
      deadline.cancel();
      if (socket === this.socket) this.onClose(code, reason.toString());
    });
  }

  /** Pings the hub so a connection that died silently (a dropped network) is noticed and replaced. */
  private keepAlive(socket: WebSocket): void {
    if (this.settings.keepaliveMs <= 0) return;
    let answered = true;
    socket.on('pong', () => (answered = true));
    const tick = (): void => {
      if (socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
      if (!answered) {
        this.lastError = new TimeoutError(`the hub did not answer a ping within ${this.settings.keepaliveMs} ms`);
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
      timer = this.deps.clock.setTimeout(tick, this.settings.keepaliveMs);
    };
    let timer = this.deps.clock.setTimeout(tick, this.settings.keepaliveMs);
    socket.once('close', () => timer.cancel());
  }

  private async onWelcome(socket: WebSocket, welcome: Extract<HubFrame, { type: 'welcome' }>): Promise<void> {
    const current = (): boolean => socket === this.socket && socket.readyState === WebSocket.OPEN && !this.stopping;
    this.reconnect.succeeded();
    this.lastError = undefined;
    let hookError: ErrorObject | undefined;
    try {
      await this.hooks.onWelcome(welcome);
    } catch (error) {
      if (!current()) return; // lost again meanwhile; onClose reports it
      hookError = toErrorObject(error, 'transport_failed');
      this.deps.logger.error({ err: hookError }, 'resync after connecting to the hub failed');
    }
    if (!current()) return;
    this.isOnline = true;
    this.status.set('online', hookError);
    this.deps.logger.info({ url: redactString(this.settings.url) }, 'connected to the hub');
    this.settleFirstAttempt();
  }

  private onClose(code: number, reason: string): void {
    const wasOnline = this.isOnline;
    this.isOnline = false;
    this.socket = undefined;
    if (this.stopping) return;
    this.hooks.onDisconnected?.();
    const error = closeError(code, reason, this.lastError, wasOnline);
    this.lastError = undefined;
    this.status.set('offline', error.toJSON());
    this.settleFirstAttempt();
    // Taking the connection back from whoever replaced us would only start a tug of war.
    const delay = code === CLOSE_CODES.replaced ? undefined : this.reconnect.failed(error, false, () => this.attempt());
    if (delay === undefined) {
      this.deps.logger.error({ err: error.toJSON() }, 'the hub refused us; not retrying');
      return;
    }
    this.deps.logger[wasOnline ? 'warn' : 'debug']({ err: error.toJSON(), retryInMs: delay }, 'hub connection lost; reconnecting');
  }

  private async close(goodbye: ClientFrame | undefined): Promise<void> {
    this.reconnect.cancel();
    const socket = this.socket;
    this.isOnline = false;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (goodbye && socket.readyState === WebSocket.OPEN) await this.send(goodbye).catch(() => undefined);
      socket.close(1000, 'bye');
      const cut = this.deps.clock.setTimeout(() => socket.terminate(), CLOSE_TIMEOUT_MS);
      await closed;
      cut.cancel();
    }
    this.socket = undefined;
    this.status.set('closed', undefined);
    this.settleFirstAttempt();
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.();
    this.firstAttempt = undefined;
  }
}

/** Why a connection ended, as an error of the family; refused tokens become AuthenticationError (not retried). */
function closeError(code: number, reason: string, cause: unknown, wasOnline: boolean): AuthenticationError | TransportError | TimeoutError {
  if (code === CLOSE_CODES.unauthorized) return new AuthenticationError('the hub refused the token');
  if (code === CLOSE_CODES.replaced) return new TransportError('conflict', 'another connection took over this device id at the hub');
  if (cause instanceof TimeoutError) return cause;
  const detail = cause instanceof Error ? cause.message : reason || `close code ${code}`;
  const message = wasOnline ? `connection to the hub lost: ${detail}` : `cannot connect to the hub: ${detail}`;
  return new TransportError('unavailable', redactString(message), { details: { code } });
}
