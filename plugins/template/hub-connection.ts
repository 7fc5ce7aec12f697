import { WebSocket } from 'ws';
import {
  AuthenticationError,
  ReconnectingLink,
  TimeoutError,
  TransportError,
  redactString,
  type AmoraError,
  type Clock,
  type Logger,
  type RetryPolicy,
} from '../../core/index.js';
import { CLOSE_CODES, encodeFrame, hubFrameSchema, parseFrame, type ClientFrame, type HubFrame } from './protocol.js';

/** What one connection needs; each transport builds it from its options. */
export interface HubConnectionSettings {
  /** Hubs tried in turn (a standby after the primary). */
  readonly urls: readonly string[];
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

/** Why a socket closed, as the link's lost/failed callbacks receive it. */
interface Closed {
  readonly code: number;
  readonly reason: string;
  readonly cause: unknown;
}

/** How long stop() waits for the hub to acknowledge the close before cutting the socket. */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * One WebSocket to the hub, kept open by core's ReconnectingLink (exponential backoff by default;
 * refused tokens are not retried, nor is a connection another one took over). Shared by the
 * device and the controller transport. Nothing happens before start(): the constructor only sets fields.
 */
export class HubConnection extends ReconnectingLink {
  private socket: WebSocket | undefined;
  private welcome: Extract<HubFrame, { type: 'welcome' }> | undefined;

  constructor(
    private readonly settings: HubConnectionSettings,
    private readonly hooks: HubConnectionHooks,
    deps: HubConnectionDeps,
  ) {
    super({ name: 'hub', endpoints: settings.urls, setupFailure: 'report', label: redactString }, deps);
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

  /** Cuts the socket without a close handshake, as a network failure would (tests, chaos drills). */
  interrupt(): void {
    this.socket?.terminate();
  }

  protected open(endpoint: string, lost: (error: unknown) => void): Promise<{ sessionPresent: boolean }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(endpoint, {
        handshakeTimeout: this.settings.connectTimeoutMs,
        // Frames from the hub may carry large commands; core refuses oversized ones with an answer.
        maxPayload: Math.max(this.settings.maxPayloadBytes * 4, 1024 * 1024),
        perMessageDeflate: false,
      });
      this.socket = socket;
      let welcomed = false;
      let cause: unknown;
      // The hub must welcome us in time, not merely accept the TCP connection.
      const deadline = this.clock.setTimeout(() => {
        cause = new TimeoutError(`the hub did not welcome us within ${this.settings.connectTimeoutMs} ms`);
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
          this.logger.debug('ignoring a malformed frame from the hub');
          return;
        }
        // A controller's kept state and presence come before its welcome.
        if (frame.type !== 'welcome') {
          this.hooks.onFrame(frame);
          return;
        }
        deadline.cancel();
        welcomed = true;
        this.welcome = frame;
        this.keepAlive(socket, (error) => (cause = error));
        resolve({ sessionPresent: false });
      });
      socket.on('error', (error) => {
        cause ??= error;
      });
      socket.on('close', (code, reason) => {
        deadline.cancel();
        if (socket === this.socket) this.socket = undefined;
        const closed: Closed = { code, reason: reason.toString(), cause };
        if (welcomed) lost(closed);
        else reject(closed);
      });
    });
  }

  protected override setUp(): Promise<void> {
    const welcome = this.welcome;
    this.welcome = undefined;
    return welcome ? this.hooks.onWelcome(welcome) : Promise.resolve();
  }

  protected override onDisconnected(): void {
    this.hooks.onDisconnected?.();
  }

  protected describeFailure(error: unknown, _endpoint: string, lost: boolean): AmoraError {
    const closed = error as Partial<Closed>;
    if (typeof closed?.code === 'number') return closeError(closed.code, closed.reason ?? '', closed.cause, lost);
    if (error instanceof AuthenticationError || error instanceof TransportError || error instanceof TimeoutError) return error;
    return new TransportError('unavailable', redactString(`cannot connect to the hub: ${(error as Error)?.message ?? String(error)}`), { cause: error });
  }

  /** Taking the connection back from whoever replaced us would only start a tug of war. */
  protected override isFinal(error: AmoraError): boolean {
    return error.code === 'conflict';
  }

  /** A lost socket is closed already. */
  protected release(): Promise<void> {
    this.socket?.terminate();
    return Promise.resolve();
  }

  /** Pings the hub so a connection that died silently (a dropped network) is noticed and replaced. */
  private keepAlive(socket: WebSocket, onTimeout: (error: TimeoutError) => void): void {
    if (this.settings.keepaliveMs <= 0) return;
    let answered = true;
    socket.on('pong', () => (answered = true));
    const tick = (): void => {
      if (socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
      if (!answered) {
        onTimeout(new TimeoutError(`the hub did not answer a ping within ${this.settings.keepaliveMs} ms`));
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
      timer = this.clock.setTimeout(tick, this.settings.keepaliveMs);
    };
    let timer = this.clock.setTimeout(tick, this.settings.keepaliveMs);
    socket.once('close', () => timer.cancel());
  }

  /** Closes with a handshake (after the owner's goodbye, sent by stop()'s beforeEnd). */
  protected async shutdown(): Promise<void> {
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.close(1000, 'bye');
      const cut = this.clock.setTimeout(() => socket.terminate(), CLOSE_TIMEOUT_MS);
      await closed;
      cut.cancel();
    }
    this.socket = undefined;
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
