import { distinctUntilChanged, filter, firstValueFrom, map, Subscription, timeout } from 'rxjs';
import {
  buildController,
  silentLogger,
  UNAUTHORIZED,
  type ControllerTransport,
  type JsonObject,
  type KindSection,
  type LoadedConfig,
  type Logger,
  type PluginRegistry,
  type RefusedMessage,
} from '../core/index.js';
import type { AwsIotOptionsInput } from '../adapters/aws-iot/options.js';
import type { MqttOptionsInput } from '../adapters/mqtt/options.js';
import { createBuiltinRegistry } from '../cli/builtins.js';
import { azureIotHubTransport, awsIotTransport, clientConfig, mqttTransport, type ClientTransport } from './client-transports.js';
import { commandResult, invokeFailure, type CommandResult } from './command-messages.js';
import { playerStatusOf, playlistsOf, UNKNOWN_STATUS, type PlayerStatus } from './player-status.js';

export type StatusUpdateCallback = (status: PlayerStatus) => void;
export type ConnectionStatusCallback = (connected: boolean) => void;
/**
 * A state or command answer of this client's device that its middleware refused (unsigned, forged,
 * replayed or undecryptable): it was dropped (a refused answer resolves `{success: false, code:
 * 'unauthorized'}`). `total` counts refusals of that sort so far.
 */
export interface ClientRefusal extends RefusedMessage {
  readonly code: typeof UNAUTHORIZED;
}
export type RefusalCallback = (refusal: ClientRefusal) => void;
/** The guide's name for what a command resolves with. */
export type CommandResponse = CommandResult;

export interface AmoraClientOptions {
  /** Deadline of each command, ms; the guide's direct methods wait 30 s. Default 30 000. */
  readonly commandTimeoutMs?: number;
  /** How long `connect()` waits for the transport to come online, ms. Default 30 000. */
  readonly connectTimeoutMs?: number;
  /** Where the client's own failures are logged (they are also in each `message`). Default: nowhere. */
  readonly logger?: Logger;
  /** Transport kinds to build from; default the built-in ones (mqtt, azure-iot-hub, aws-iot). */
  readonly registry?: PluginRegistry;
  /** Read for AMORA_AZURE_CA by the connection-string constructor. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Message middleware, as a config's `middleware:` list (e.g. `[{kind: 'signing', signingKey,
   * verificationKeys, encrypt}]`): commands and desired patches are signed, states and answers
   * verified (and encrypted sections opened), as `amora ctl --config` does. With `fromConfig`,
   * replaces the config's own list. Default: none (or the config's).
   */
  readonly middleware?: readonly KindSection[];
}

const GUIDE_TIMEOUT_MS = 30_000;
/** The guide's `connectTimeoutInSeconds`: how long IoT Hub waits for an offline device to connect. */
const AZURE_METHOD_CONNECT_TIMEOUT_S = 30;

/**
 * The AmoraSDK guide's TypeScript client for one player, on any transport. The guide's own
 * constructor takes an IoT Hub and an Event Hub connection string; `AmoraClient.mqtt(url, id)`,
 * `AmoraClient.awsIot({...}, id)`, `new AmoraClient({kind, ...}, id)` and
 * `AmoraClient.fromConfig(config, id)` give the same object on a broker or AWS IoT Core, so an app
 * keeps its code when its fleet moves. Underneath is the transport's ControllerTransport, built
 * through the plugin registry: commands are its `invoke` (30 s deadline), status its `state$`,
 * connection its `status$`.
 *
 * As in the guide, commands never throw: a refusal or a failure resolves `{success: false,
 * message}`; `getStatus()` resolves the `unknown` status and `getPlaylists()` `[]` when the device
 * cannot be read. Commands and reads work before `connect()`; `connect()` starts the live status.
 */
export class AmoraClient {
  private config: LoadedConfig;
  private transportIndex = 0;
  private readonly deviceId: string;
  private readonly options: AmoraClientOptions;
  private readonly logger: Logger;
  private statusCallbacks: StatusUpdateCallback[] = [];
  private connectionCallbacks: ConnectionStatusCallback[] = [];
  private refusalCallbacks: RefusalCallback[] = [];
  private refusals: Subscription | undefined;
  private connected = false;
  private opening: Promise<ControllerTransport> | undefined;
  private live: Subscription | undefined;

  /** The guide's constructor: IoT Hub service connection string, Event Hub connection string, device id. */
  constructor(iotHubConnectionString: string, eventHubConnectionString: string, deviceId: string, options?: AmoraClientOptions);
  /** Any transport: one `transports:` entry (`{kind: 'mqtt', url}`, `{kind: 'aws-iot', ...}`, ...). */
  constructor(transport: ClientTransport, deviceId: string, options?: AmoraClientOptions);
  constructor(first: string | ClientTransport, second: string, third?: string | AmoraClientOptions, fourth?: AmoraClientOptions) {
    if (typeof first === 'string') {
      this.deviceId = typeof third === 'string' ? third : '';
      this.options = fourth ?? {};
      const azure = azureIotHubTransport(first, second, this.options.env ?? process.env);
      this.config = clientConfig({ ...azure, methodConnectTimeoutSeconds: AZURE_METHOD_CONNECT_TIMEOUT_S }, this.options.middleware);
    } else {
      this.deviceId = second;
      this.options = (typeof third === 'object' ? third : undefined) ?? {};
      this.config = clientConfig(first, this.options.middleware);
    }
    this.logger = this.options.logger ?? silentLogger;
  }

  /** A client on a generic MQTT broker (`mqtt://`, `mqtts://`, `ws://`, `wss://`). */
  static mqtt(url: string, deviceId: string, mqttOptions: Omit<MqttOptionsInput, 'url'> = {}, options?: AmoraClientOptions): AmoraClient {
    return new AmoraClient(mqttTransport(url, mqttOptions), deviceId, options);
  }

  /** A client on AWS IoT Core: endpoint, certificate, key and CA, as in the ANC guide, plus the data-plane settings. */
  static awsIot(awsOptions: AwsIotOptionsInput, deviceId: string, options?: AmoraClientOptions): AmoraClient {
    return new AmoraClient(awsIotTransport(awsOptions), deviceId, options);
  }

  /** A client on one `transports` entry of an agent config (the app reads the devices' own config file). */
  static fromConfig(config: LoadedConfig, deviceId: string, options: AmoraClientOptions & { readonly transportIndex?: number } = {}): AmoraClient {
    const client = new AmoraClient(config.transports[0] ?? { kind: 'mqtt' }, deviceId, options);
    client.config = options.middleware ? { ...config, middleware: [...options.middleware] } : config;
    client.transportIndex = options.transportIndex ?? 0;
    return client;
  }

  /** Starts the live status and waits until the transport is online. */
  async connect(): Promise<void> {
    try {
      const controller = await this.open();
      if (!this.live) {
        const live = new Subscription();
        live.add(
          controller.status$.pipe(map((status) => status.state === 'online'), distinctUntilChanged()).subscribe((online) => this.setConnected(online)),
        );
        live.add(
          controller
            .state$(this.deviceId)
            .pipe(
              map((message) => playerStatusOf(message.state)),
              distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
            )
            .subscribe({
              next: (status) => this.notifyStatusUpdate(status),
              error: (error: unknown) => this.logger.error({ err: describe(error) }, 'status stream failed'),
            }),
        );
        this.live = live;
      }
      const wait = this.options.connectTimeoutMs ?? GUIDE_TIMEOUT_MS;
      await firstValueFrom(controller.status$.pipe(filter((status) => status.state === 'online'), timeout(wait))).catch(() => {
        throw new Error(`not connected after ${wait} ms`);
      });
    } catch (error) {
      this.logger.error({ err: describe(error) }, 'failed to connect');
      await this.close();
      throw error;
    }
  }

  /** Stops the live status and closes the transport; a later call opens it again. */
  async disconnect(): Promise<void> {
    await this.close();
  }

  onStatusUpdate(callback: StatusUpdateCallback): void {
    this.statusCallbacks.push(callback);
  }

  /** Registers a callback and calls it at once with the current connection status. */
  onConnectionStatus(callback: ConnectionStatusCallback): void {
    this.connectionCallbacks.push(callback);
    callback(this.connected);
  }

  /** Tells of every state or answer of the device that the middleware refused (see ClientRefusal). */
  onRefused(callback: RefusalCallback): void {
    this.refusalCallbacks.push(callback);
  }

  removeRefusedCallback(callback: RefusalCallback): void {
    this.refusalCallbacks = this.refusalCallbacks.filter((cb) => cb !== callback);
  }

  removeStatusUpdateCallback(callback: StatusUpdateCallback): void {
    this.statusCallbacks = this.statusCallbacks.filter((cb) => cb !== callback);
  }

  removeConnectionStatusCallback(callback: ConnectionStatusCallback): void {
    this.connectionCallbacks = this.connectionCallbacks.filter((cb) => cb !== callback);
  }

  /** The device's reported status; the `unknown` status when it cannot be read. */
  async getStatus(): Promise<PlayerStatus> {
    try {
      const message = await (await this.open()).getState(this.deviceId);
      return playerStatusOf(message?.state);
    } catch (error) {
      this.logger.error({ err: describe(error) }, 'failed to get status');
      return UNKNOWN_STATUS;
    }
  }

  /** The playlists the device reports; `[]` when it cannot be read. */
  async getPlaylists(): Promise<string[]> {
    try {
      const message = await (await this.open()).getState(this.deviceId);
      return playlistsOf(message?.state);
    } catch (error) {
      this.logger.error({ err: describe(error) }, 'failed to get playlists');
      return [];
    }
  }

  play(): Promise<CommandResponse> {
    return this.invoke('play');
  }

  pause(): Promise<CommandResponse> {
    return this.invoke('pause');
  }

  stop(): Promise<CommandResponse> {
    return this.invoke('stop');
  }

  next(): Promise<CommandResponse> {
    return this.invoke('next');
  }

  previous(): Promise<CommandResponse> {
    return this.invoke('previous');
  }

  /** 0-100. */
  setVolume(volume: number): Promise<CommandResponse> {
    return this.invoke('setVolume', { volume });
  }

  private async invoke(command: string, params: JsonObject = {}): Promise<CommandResponse> {
    try {
      const controller = await this.open();
      const response = await controller.invoke(this.deviceId, command, params, { timeoutMs: this.options.commandTimeoutMs ?? GUIDE_TIMEOUT_MS });
      return commandResult(command, params, response);
    } catch (error) {
      this.logger.error({ command, err: describe(error) }, 'failed to invoke command');
      return invokeFailure(command, error);
    }
  }

  /** Builds and starts the controller once (per connection); commands and reads share it. */
  private open(): Promise<ControllerTransport> {
    this.opening ??= (async () => {
      const controller = await buildController(this.config, this.options.registry ?? createBuiltinRegistry(), {
        logger: this.logger,
        transportIndex: this.transportIndex,
      });
      this.refusals = controller.refused$
        ?.pipe(filter((refusal) => refusal.deviceId === this.deviceId))
        .subscribe((refusal) => this.notifyRefused({ ...refusal, code: UNAUTHORIZED }));
      await controller.start(new AbortController().signal);
      return controller;
    })().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async close(): Promise<void> {
    this.live?.unsubscribe();
    this.live = undefined;
    this.refusals?.unsubscribe();
    this.refusals = undefined;
    const opening = this.opening;
    this.opening = undefined;
    const controller = await opening?.catch(() => undefined);
    await controller?.stop();
    this.setConnected(false, true);
  }

  private setConnected(connected: boolean, always = false): void {
    if (connected === this.connected && !always) return;
    this.connected = connected;
    for (const callback of this.connectionCallbacks) {
      try {
        callback(connected);
      } catch (error) {
        this.logger.error({ err: describe(error) }, 'connection status callback failed');
      }
    }
  }

  private notifyRefused(refusal: ClientRefusal): void {
    for (const callback of this.refusalCallbacks) {
      try {
        callback(refusal);
      } catch (error) {
        this.logger.error({ err: describe(error) }, 'refusal callback failed');
      }
    }
  }

  private notifyStatusUpdate(status: PlayerStatus): void {
    for (const callback of this.statusCallbacks) {
      try {
        callback(status);
      } catch (error) {
        this.logger.error({ err: describe(error) }, 'status update callback failed');
      }
    }
  }
}

function describe(error: unknown): { message: string } {
  return { message: error instanceof Error ? error.message : String(error) };
}
