import common from 'azure-iot-common';
import deviceSdk from 'azure-iot-device';
import type { Observable } from 'rxjs';
import {
  ConnectionStatusKeeper,
  ReconnectSchedule,
  type AmoraError,
  type Clock,
  type ConnectionStatus,
  type Logger,
  type RetryPolicy,
} from '../../core/index.js';
import type { DeviceConnectionInfo } from './connection-string.js';
import { AmoraMqtt, AmoraMqttWs, type AmoraTransport } from './sdk-mqtt.js';
import { isThrottledError, toConnectionError } from './sdk-errors.js';

/**
 * One azure-iot-device Client kept connected by our RetryPolicy. The SDK's own retries are
 * switched off (NoRetry): they would retry refused credentials forever and cannot be observed.
 *
 * SDK behaviour this works around:
 * - `Client.close()` removes the client's own 'disconnect' listener from the transport for good,
 *   so a reopened client never reports a lost connection again. We listen on the transport.
 * - While disconnected, `sendEvent`, `enableMethods` and twin calls open a connection on their
 *   own, bypassing any backoff. Callers use the connection only while `online`.
 * - MqttBase's connect timeout is a fixed 60 s; ours is `connectTimeoutMs`.
 * - A SAS token renewal reconnects inside the SDK without any event; `onTokenRenewed` lets the
 *   transport resync what may have been missed meanwhile.
 */

type DeviceClient = InstanceType<typeof deviceSdk.Client>;

export interface AzureConnectionSettings {
  readonly connectionString: string;
  readonly info: DeviceConnectionInfo;
  readonly transport: 'mqtt' | 'mqtt-ws';
  readonly keepaliveSeconds: number;
  readonly sasTokenTtlSeconds: number;
  readonly sasRenewalMarginSeconds: number;
  readonly connectTimeoutMs: number;
}

export interface DeviceTls {
  readonly ca?: string;
  readonly x509?: { readonly cert: string; readonly key: string; readonly passphrase?: string };
}

export interface AzureConnectionHooks {
  /** After every accepted connection and before the status turns online (subscribe, resync). */
  onConnected(link: DeviceLink, first: boolean): Promise<void>;
  /** When a connection (or an attempt) ends for any reason other than stop(). */
  onDisconnected(error: AmoraError): void;
  /** The SDK renewed the SAS token, reconnecting under the hood. */
  onTokenRenewed?(): void;
}

/** What the transport uses while connected. */
export interface DeviceLink {
  readonly client: DeviceClient;
  readonly transport: AmoraTransport;
}

export interface AzureConnectionDeps {
  readonly retryPolicy: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class AzureDeviceConnection {
  private readonly status: ConnectionStatusKeeper;
  private readonly reconnect: ReconnectSchedule;
  readonly status$: Observable<ConnectionStatus>;
  /** Built at construction so the transport can attach its listeners (twin channel) once. */
  readonly link: DeviceLink;

  private connectedOnce = false;
  private isOnline = false;
  private isConnected = false;
  private attempting = false;
  private generation = 0;
  private stopping: Promise<void> | undefined;
  private firstAttempt: { resolve(): void } | undefined;
  private readonly where: string;
  private tls: DeviceTls = {};

  constructor(
    private readonly settings: AzureConnectionSettings,
    private readonly hooks: AzureConnectionHooks,
    private readonly deps: AzureConnectionDeps,
  ) {
    this.where = settings.info.hostName;
    this.status = new ConnectionStatusKeeper(deps.clock);
    this.status$ = this.status.status$;
    this.reconnect = new ReconnectSchedule(deps.retryPolicy, deps.clock);
    this.link = this.createLink();
  }

  /** True between a completed onConnected hook and the next loss of the connection. */
  get online(): boolean {
    return this.isOnline;
  }

  /** True from an accepted connect (onConnected may still be running) to the next loss. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Connects; resolves once the first attempt has settled (online, or failed and retrying or
   * given up). `tls` is read by the caller first (files are read once, and a missing one is a
   * configuration error to report at start, not a connection failure to retry).
   */
  start(signal: AbortSignal, tls: DeviceTls = {}): Promise<void> {
    if (this.stopping || this.firstAttempt || this.generation > 0) return Promise.resolve();
    this.tls = tls;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    const settled = new Promise<void>((resolve) => (this.firstAttempt = { resolve }));
    void this.attempt();
    return settled;
  }

  /** Runs `beforeEnd` while still online, then closes the client. Idempotent. */
  stop(beforeEnd?: () => Promise<void>): Promise<void> {
    this.stopping ??= this.close(beforeEnd);
    return this.stopping;
  }

  /** Reports outbox counters in the status (they belong to the connection's health). */
  setOutbox(outbox: ConnectionStatus['outbox']): void {
    this.status.setOutbox(outbox);
  }

  private createLink(): DeviceLink {
    const { settings } = this;
    const Transport = settings.transport === 'mqtt-ws' ? AmoraMqttWs : AmoraMqtt;
    let transport: AmoraTransport;
    if (settings.info.auth === 'sas-key') {
      const provider = deviceSdk.SharedAccessKeyAuthenticationProvider.fromConnectionString(
        settings.connectionString,
        settings.sasTokenTtlSeconds,
        settings.sasRenewalMarginSeconds,
      );
      // Registered after the transport's own listener, so the SDK is already reconnecting when we hear of it.
      transport = new Transport(provider);
      provider.on('newTokenAvailable', () => {
        this.deps.logger.debug({ hub: this.where }, 'SAS token renewed; the SDK reconnects with it');
        if (this.isOnline) this.hooks.onTokenRenewed?.();
      });
    } else if (settings.info.auth === 'sas-token') {
      const token = /(?:^|;)\s*SharedAccessSignature=(.*?)\s*(?:;|$)/.exec(settings.connectionString)?.[1] ?? '';
      transport = new Transport(deviceSdk.SharedAccessSignatureAuthenticationProvider.fromSharedAccessSignature(token));
    } else {
      // The certificate and key arrive with setOptions() before the first connect (read at start).
      transport = new Transport(new deviceSdk.X509AuthenticationProvider({ host: settings.info.hostName, deviceId: settings.info.deviceId }));
    }
    const client = new deviceSdk.Client(transport);
    client.setRetryPolicy(new common.NoRetry());
    // The SDK emits 'error' for failures of features it enables on its own; unhandled, it would throw.
    client.on('error', (error: Error) => this.deps.logger.debug({ err: { message: error.message } }, 'IoT Hub client error'));
    transport.on('disconnect', (error?: Error) => this.onTransportDisconnect(error));
    return { client, transport };
  }

  private async attempt(): Promise<void> {
    if (this.stopping) return;
    const generation = ++this.generation;
    this.attempting = true;
    this.status.set('connecting', this.status.current.error);
    const { client } = this.link;
    try {
      const tls = this.tls;
      // One call with everything: the SDK's MqttBase replaces its options on each setOptions().
      await client.setOptions({ keepalive: this.settings.keepaliveSeconds, ...(tls.ca ? { ca: tls.ca } : {}), ...tls.x509 });
      await this.withTimeout(client.open(), this.settings.connectTimeoutMs);
      if (this.stopping || generation !== this.generation) return;
      this.isConnected = true;
      const first = !this.connectedOnce;
      this.connectedOnce = true;
      await this.hooks.onConnected(this.link, first);
      if (this.stopping || generation !== this.generation) return;
      this.attempting = false;
      this.isOnline = true;
      this.reconnect.succeeded();
      this.status.set('online', undefined);
      this.deps.logger.info({ hub: this.where, deviceId: this.settings.info.deviceId }, 'IoT Hub connected');
      this.settleFirstAttempt();
    } catch (error) {
      this.attempting = false;
      this.isConnected = false;
      if (this.stopping || generation !== this.generation) return;
      // Leave the transport disconnected before the next attempt (a failed resync left it open).
      await new Promise<void>((resolve) => this.link.transport.disconnect(() => resolve()));
      this.failed(toConnectionError(error, this.where, false), false);
    }
  }

  private onTransportDisconnect(error: Error | undefined): void {
    this.isConnected = false;
    if (this.stopping || !this.isOnline) return; // an attempt in progress handles its own failure
    this.isOnline = false;
    this.generation++;
    this.failed(toConnectionError(error, this.where, true), true);
  }

  private failed(error: AmoraError, wasOnline: boolean): void {
    this.hooks.onDisconnected(error);
    this.status.set('offline', error.toJSON());
    this.settleFirstAttempt();
    const delay = this.reconnect.failed(error, isThrottledError(error), () => void this.attempt());
    if (delay === undefined) {
      this.deps.logger.error({ err: error.toJSON(), hub: this.where }, 'IoT Hub refused the connection; not retrying');
      return;
    }
    this.deps.logger[wasOnline ? 'warn' : 'debug'](
      { err: error.toJSON(), retryInMs: delay, attempt: this.reconnect.attempts },
      'IoT Hub offline; reconnecting',
    );
  }

  private async close(beforeEnd?: () => Promise<void>): Promise<void> {
    this.reconnect.cancel();
    this.generation++;
    if (this.isOnline && beforeEnd) {
      try {
        await beforeEnd();
      } catch (error) {
        this.deps.logger.warn({ err: { message: (error as Error).message } }, 'IoT Hub graceful goodbye failed');
      }
    }
    this.isOnline = false;
    this.isConnected = false;
    this.attempting = false;
    await this.withTimeout(this.link.client.close(), 5_000).catch(() => undefined);
    this.status.set('closed', undefined);
    this.settleFirstAttempt();
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.deps.clock.setTimeout(() => {
        reject(new Error(`no answer from the hub within ${ms} ms`));
      }, ms);
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }

  private settleFirstAttempt(): void {
    this.firstAttempt?.resolve();
    this.firstAttempt = undefined;
  }
}
