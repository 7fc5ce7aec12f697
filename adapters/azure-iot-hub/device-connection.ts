import common from 'azure-iot-common';
import deviceSdk from 'azure-iot-device';
import { ReconnectingLink, type AmoraError, type Clock, type LinkSession, type Logger, type RetryPolicy } from '../../core/index.js';
import type { DeviceConnectionInfo } from './connection-string.js';
import { AmoraMqtt, AmoraMqttWs, type AmoraTransport } from './sdk-mqtt.js';
import { isThrottledError, toConnectionError } from './sdk-errors.js';

/**
 * One azure-iot-device Client kept connected by core's ReconnectingLink. The SDK's own retries are
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
  /**
   * Reads the TLS material (CA, X.509 pair) before every attempt: a file that vanished fails that
   * attempt, retried with backoff, and a renewed certificate is picked up by the next.
   */
  readonly tls?: () => Promise<DeviceTls>;
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

export class AzureDeviceConnection extends ReconnectingLink {
  /** Built at construction so the transport can attach its listeners (twin channel) once. */
  readonly link: DeviceLink;
  private readonly where: string;
  /** Reports the loss of the connection the current attempt opened. */
  private onLost: ((error: unknown) => void) | undefined;

  constructor(
    private readonly settings: AzureConnectionSettings,
    private readonly hooks: AzureConnectionHooks,
    deps: AzureConnectionDeps,
  ) {
    super({ name: 'IoT Hub', endpoints: [settings.info.hostName], setupFailure: 'reconnect' }, deps);
    this.where = settings.info.hostName;
    this.link = this.createLink();
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
        this.logger.debug({ hub: this.where }, 'SAS token renewed; the SDK reconnects with it');
        if (this.online) this.hooks.onTokenRenewed?.();
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
    client.on('error', (error: Error) => this.logger.debug({ err: { message: error.message } }, 'IoT Hub client error'));
    transport.on('disconnect', (error?: Error) => {
      const lost = this.onLost;
      this.onLost = undefined;
      lost?.(error);
    });
    return { client, transport };
  }

  protected async open(_endpoint: string, lost: (error: unknown) => void): Promise<{ sessionPresent: boolean }> {
    const { client } = this.link;
    try {
      const tls = this.settings.tls ? await this.settings.tls() : {};
      // One call with everything: the SDK's MqttBase replaces its options on each setOptions().
      await client.setOptions({ keepalive: this.settings.keepaliveSeconds, ...(tls.ca ? { ca: tls.ca } : {}), ...tls.x509 });
      await this.withTimeout(client.open(), this.settings.connectTimeoutMs);
    } catch (error) {
      await this.release();
      throw error;
    }
    this.onLost = lost;
    return { sessionPresent: false };
  }

  protected override setUp(session: LinkSession): Promise<void> {
    return this.hooks.onConnected(this.link, session.first);
  }

  protected override onDisconnected(error: AmoraError): void {
    this.onLost = undefined;
    this.hooks.onDisconnected(error);
  }

  protected describeFailure(error: unknown, _endpoint: string, lost: boolean): AmoraError {
    return toConnectionError(error, this.where, lost);
  }

  protected override isThrottled(error: AmoraError): boolean {
    return isThrottledError(error);
  }

  /** Leaves the transport disconnected before the next attempt (a failed resync leaves it open). */
  protected release(): Promise<void> {
    this.onLost = undefined;
    return new Promise<void>((resolve) => this.link.transport.disconnect(() => resolve()));
  }

  protected async shutdown(): Promise<void> {
    this.onLost = undefined;
    await this.withTimeout(this.link.client.close(), 5_000).catch(() => undefined);
  }

  private withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
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
}
