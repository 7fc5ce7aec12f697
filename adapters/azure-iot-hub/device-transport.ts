import deviceSdk from 'azure-iot-device';
import { inject, injectable, optional } from 'inversify';
import { Subject, type Observable } from 'rxjs';
import {
  applyMergePatch,
  ConfigError,
  createMergePatch,
  ExponentialBackoffRetryPolicy,
  isAmoraError,
  BufferedSender,
  silentLogger,
  systemClock,
  TOKENS,
  TransportError,
  type Clock,
  type CommandResponse,
  type ConnectionStatus,
  type DesiredUpdate,
  type DeviceTransport,
  type InboundCommand,
  type JsonObject,
  type Logger,
  type RetryPolicy,
  type StateSnapshot,
  type TelemetryBatch,
  type TransportCapabilities,
  type DeviceStorage,
} from '../../core/index.js';
import { deviceConnectionInfo, type DeviceConnectionInfo } from './connection-string.js';
import {
  alreadyAnswered,
  COMMAND_RESPONSE_KEY,
  desiredCommandInbound,
  isDesiredCommandContext,
  splitDesiredCommand,
} from './desired-command.js';
import { DesiredVersionGate } from './desired-gate.js';
import { AzureDeviceConnection, type DeviceLink, type DeviceTls } from './device-connection.js';
import { IOT_HUB_LIMITS, twinSectionProblem } from './limits.js';
import { methodAnswer } from './method-response.js';
import { DEVICE_CONNECTION_STRING_ENV, type AzureIotHubOptions } from './options.js';
import { isThrottledError } from './sdk-errors.js';
import { sendMethodResponse } from './sdk-mqtt.js';
import { readPem, resolveConnectionString } from './secrets.js';
import { encodeTelemetry } from './telemetry-message.js';
import { TwinChannel, type DesiredNotification } from './twin-channel.js';

/** What `respond()` gets back for a direct method. */
interface MethodContext {
  readonly kind: 'method';
  readonly rid: string;
}

interface TelemetryOut {
  readonly kind: string;
  readonly body: string;
}

const METHOD_PREFIX = '$iothub/methods/POST/';
/** How long stop() waits for a reported patch in flight. */
const STOP_FLUSH_MS = 2_000;
/**
 * A direct method carrying a whole command in the seed wire format (`{command, command_id,
 * params}`), for backends that send one generic method instead of one per command.
 */
export const ENVELOPE_METHOD = 'command';

/**
 * The Azure IoT Hub device transport, on azure-iot-device + azure-iot-device-mqtt.
 *
 * - Reported state → twin reported properties, as merge patches computed against what the hub
 *   holds (tracked from the last GET plus every accepted patch): only what changed, and after a
 *   reconnect exactly what the hub lacks, `null` for keys the device no longer has. Patches are
 *   serialised; throttled ones (429) back off with the RetryPolicy. A reported section over
 *   32 KB (or with names IoT Hub refuses) is refused locally with a TransportError.
 * - Desired properties → `desired$`: after every connect, subscribe, GET the whole twin
 *   (`full: true`), then apply notifications newer than it (DesiredVersionGate); a desired
 *   `command: {action, parameters}` becomes a command answered in reported `command_response`.
 * - Direct methods → `commands$` (`command` = method name, `requestId` = the hub's rid), answered
 *   with the status of the error code and a `{result, message}` payload plus our response. The
 *   method `command` carries a whole seed-format command instead (ENVELOPE_METHOD).
 * - Telemetry → device-to-cloud messages (JSON, UTF-8, property `messageType` = kind), at most
 *   256 KB each (batches are split); kept in a bounded outbox while offline.
 * - Connection: our RetryPolicy; SAS tokens renewed before expiry by the SDK, after which the
 *   twin is fetched again (notifications may have been lost while it reconnected).
 */
@injectable()
export class AzureIotHubDeviceTransport implements DeviceTransport {
  readonly capabilities: TransportCapabilities = {
    maxPayloadBytes: IOT_HUB_LIMITS.messageBytes,
    qos: [0, 1],
    retained: false,
    desiredState: true,
  };
  readonly status$: Observable<ConnectionStatus>;
  readonly commands$: Observable<InboundCommand>;
  readonly desired$: Observable<DesiredUpdate>;

  private readonly logger: Logger;
  private readonly info: DeviceConnectionInfo;
  private readonly connection: AzureDeviceConnection;
  private readonly twin: TwinChannel;
  private readonly gate = new DesiredVersionGate();
  private readonly sender: BufferedSender<TelemetryOut>;
  private readonly retryPolicy: RetryPolicy;
  private readonly clock: Clock;
  private readonly commandsSubject = new Subject<InboundCommand>();
  private readonly desiredSubject = new Subject<DesiredUpdate>();
  /** The hub's reported section as we know it (undefined until the first GET of a connection). */
  private hubReported: JsonObject | undefined;
  private latest: StateSnapshot | undefined;
  /** Reported properties the transport itself owns (the answer to a desired command), not yet sent. */
  private ownReported: JsonObject | undefined;
  private reportedChain: Promise<void> = Promise.resolve();
  private ready = false;
  private stopped = false;

  constructor(
    @inject(TOKENS.KindOptions) private readonly options: AzureIotHubOptions,
    @inject(TOKENS.InstanceId) readonly id: string,
    @inject(TOKENS.DeviceId) @optional() agentDeviceId: string | undefined,
    @inject(TOKENS.Logger) @optional() logger: Logger | undefined,
    @inject(TOKENS.RetryPolicy) @optional() retryPolicy: RetryPolicy | undefined,
    @inject(TOKENS.Clock) @optional() clock: Clock | undefined,
    @inject(TOKENS.DeviceStorage) @optional() storage?: DeviceStorage,
  ) {
    const connectionString = resolveConnectionString(options.connectionString, DEVICE_CONNECTION_STRING_ENV, 'connectionString');
    try {
      this.info = deviceConnectionInfo(connectionString);
    } catch (error) {
      throw new ConfigError(`azure-iot-hub: ${(error as Error).message}`, { cause: error, details: { path: 'connectionString' } });
    }
    if (this.info.auth === 'x509' && !options.x509) {
      throw new ConfigError('azure-iot-hub: an x509=true connection string needs x509.cert and x509.key', { details: { path: 'x509' } });
    }
    this.logger = (logger ?? silentLogger).child({ transport: id });
    if (agentDeviceId !== undefined && agentDeviceId !== this.info.deviceId) {
      this.logger.warn({ agentDeviceId, hubDeviceId: this.info.deviceId }, 'the IoT Hub device id differs from the agent device id');
    }
    this.clock = clock ?? systemClock;
    this.retryPolicy = retryPolicy ?? new ExponentialBackoffRetryPolicy(options.retry ?? {});
    this.connection = new AzureDeviceConnection(
      {
        connectionString,
        info: this.info,
        transport: options.transport,
        keepaliveSeconds: options.keepaliveSeconds,
        sasTokenTtlSeconds: options.sasTokenTtlSeconds,
        sasRenewalMarginSeconds: options.sasRenewalMarginSeconds,
        connectTimeoutMs: options.connectTimeoutMs,
        tls: () => this.readTls(),
      },
      {
        onConnected: (link) => this.resync(link),
        onDisconnected: (error) => this.onDisconnected(error),
        onTokenRenewed: () => void (this.options.twin ? this.syncTwin() : Promise.resolve()).catch((error: unknown) => this.logSyncFailure(error)),
      },
      { retryPolicy: this.retryPolicy, clock: this.clock, logger: this.logger },
    );
    const base = this.connection.link.transport.base;
    this.twin = new TwinChannel(base, options.twinTimeoutMs, this.clock, (reason) => this.logger.warn({ reason }, 'ignoring a desired-property notification'));
    this.twin.desired$.subscribe((notification) => this.onDesired(notification));
    base.on('message', (topic, payload) => {
      if (topic.startsWith(METHOD_PREFIX)) this.onMethod(topic, payload);
    });
    this.sender = new BufferedSender<TelemetryOut>({
      ...(storage ? { store: storage.outbox<TelemetryOut>(id) } : {}),
      clock: this.clock,
      capacity: options.outboxSize,
      send: (message) => this.sendEvent(this.connection.link, message),
      connected: () => this.connection.online,
      onStats: (stats) => this.connection.setOutbox(stats),
      logger: this.logger,
      describe: (message) => ({ kind: message.kind }),
    });
    this.status$ = this.connection.status$;
    this.commands$ = this.commandsSubject.asObservable();
    this.desired$ = this.desiredSubject.asObservable();
  }

  /** The device id of the connection string (the identity on the hub). */
  get deviceId(): string {
    return this.info.deviceId;
  }

  start(signal: AbortSignal): Promise<void> {
    return this.connection.start(signal);
  }

  /** The CA and X.509 pair, read before every connection attempt (inline PEM or files). */
  private async readTls(): Promise<DeviceTls> {
    const { options } = this;
    const [ca, cert, key] = await Promise.all([
      readPem(options.ca, 'ca'),
      readPem(options.x509?.cert, 'x509.cert'),
      readPem(options.x509?.key, 'x509.key'),
    ]);
    const passphrase = options.x509?.passphrase;
    return {
      ...(ca === undefined ? {} : { ca }),
      ...(cert && key ? { x509: { cert, key, ...(passphrase ? { passphrase } : {}) } } : {}),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    this.sender.close();
    // A patch in flight may finish; one sleeping through a 429 backoff is not waited for long.
    await this.connection.stop(() => this.settledWithin(this.reportedChain, STOP_FLUSH_MS));
    this.twin.failPending(new TransportError('closed', 'the transport was stopped'));
  }

  async publishState(snapshot: StateSnapshot, _patch: JsonObject): Promise<void> {
    if (!this.options.twin) return;
    // The patch given is relative to the last snapshot published; ours is computed against what
    // the hub holds, which is the same in the normal case and right after failures and reconnects.
    const problem = twinSectionProblem(withoutOwnKeys(snapshot.state));
    if (problem) {
      throw new TransportError(problem.includes('byte limit') ? 'payload_too_large' : 'invalid_params', `reported state refused locally: ${problem}`, {
        details: { maxPayloadBytes: IOT_HUB_LIMITS.twinSectionBytes },
      });
    }
    this.latest = snapshot;
    if (!this.ready) return; // resync() sends it after the next connect
    await this.flushReported();
  }

  async respond(command: InboundCommand, response: CommandResponse): Promise<void> {
    const context = command.context;
    if (isDesiredCommandContext(context)) {
      this.ownReported = { ...this.ownReported, [COMMAND_RESPONSE_KEY]: { ...toJson(response), desired: context.desired } };
      if (this.ready) await this.flushReported();
      return;
    }
    const method = context as MethodContext | undefined;
    if (method?.kind !== 'method') return;
    if (!this.connection.connected) {
      // The hub has already failed the call for the caller (the device was disconnected).
      throw new TransportError('unavailable', `cannot answer method ${response.command}: not connected to IoT Hub`);
    }
    const answer = methodAnswer(response, this.logger);
    try {
      await sendMethodResponse(this.connection.link.transport, { requestId: method.rid, status: answer.status, payload: answer.payload });
    } catch (error) {
      throw new TransportError('unavailable', `method response not sent: ${(error as Error).message}`, { cause: error });
    }
  }

  async publishTelemetry(batch: TelemetryBatch): Promise<void> {
    const bodies = encodeTelemetry(this.info.deviceId, batch);
    for (const body of bodies) await this.sender.send({ kind: batch.kind, body });
  }

  /** After each connect: subscriptions, the whole twin, reported state, then the outbox. */
  private async resync(link: DeviceLink): Promise<void> {
    this.ready = false;
    // AmoraOS `iot.enable_device_twin` / `iot.enable_direct_methods` false: that feature stays off.
    if (this.options.twin) await this.twin.subscribe();
    if (this.options.directMethods) {
      await new Promise<void>((resolve, reject) =>
        link.transport.enableMethods((error) => (error ? reject(new TransportError('unavailable', `enabling direct methods failed: ${error.message}`, { cause: error })) : resolve())),
      );
    }
    if (this.options.twin) await this.syncTwin();
    const drained = await this.sender.drain((message) => this.sendEvent(link, message));
    if (drained.error !== undefined) throw drained.error;
    this.ready = true;
    this.sender.open();
    // An answer to a desired command read with the twin may have arrived before `ready`.
    if (this.ownReported) void this.flushReported().catch((error: unknown) => this.logSyncFailure(error));
  }

  /** GETs the whole twin: desired as a full update, reported as the base of the next patch. */
  private async syncTwin(): Promise<void> {
    this.gate.beginSync();
    let twin;
    try {
      twin = await this.twin.get();
    } catch (error) {
      this.gate.abortSync();
      throw error;
    }
    this.hubReported = twin.reported;
    const { state, command } = splitDesiredCommand(twin.desired);
    this.desiredSubject.next({ patch: state, full: true, version: twin.desiredVersion });
    if (command !== undefined && !alreadyAnswered(twin.reported, command)) this.commandsSubject.next(desiredCommandInbound(command, undefined));
    const later = this.gate.completeSync(twin.desiredVersion);
    for (const notification of later.apply) this.applyDesired(notification);
    if (later.resync) void this.syncTwin().catch((error: unknown) => this.logSyncFailure(error));
    await this.flushReported(true);
  }

  private onDesired(notification: DesiredNotification): void {
    const decision = this.gate.offer(notification);
    for (const applied of decision.apply) this.applyDesired(applied);
    if (decision.resync && this.connection.online) {
      this.logger.info({ version: notification.version }, 'a desired-property version was skipped; fetching the twin again');
      void this.syncTwin().catch((error: unknown) => this.logSyncFailure(error));
    }
  }

  private applyDesired(notification: DesiredNotification): void {
    const { state, command } = splitDesiredCommand(notification.patch);
    if (Object.keys(state).length > 0 || command === undefined) {
      this.desiredSubject.next({ patch: state, version: notification.version });
    }
    if (command !== undefined) this.commandsSubject.next(desiredCommandInbound(command, notification.version));
  }

  private onMethod(topic: string, payload: Buffer): void {
    const rest = topic.slice(METHOD_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? '' : decodeURIComponent(rest.slice(0, slash));
    const rid = new URLSearchParams(rest.slice(rest.indexOf('?') + 1)).get('$rid');
    if (!rid) {
      this.logger.warn({ topic }, 'ignoring a direct method request without $rid');
      return;
    }
    const context: MethodContext = { kind: 'method', rid };
    const body = new Uint8Array(payload);
    this.commandsSubject.next(
      name === ENVELOPE_METHOD ? { payload: body, requestId: rid, context } : { payload: body, command: name, requestId: rid, context },
    );
  }

  /**
   * Sends what the hub's reported section lacks, one patch at a time. `fromResync` runs even
   * before `ready` (the connection is being set up); otherwise only while ready.
   */
  private flushReported(fromResync = false): Promise<void> {
    const run = this.reportedChain.then(() => this.sendReported(fromResync));
    this.reportedChain = run.catch(() => undefined);
    return run;
  }

  private async sendReported(fromResync: boolean): Promise<void> {
    for (;;) {
      if ((!this.ready && !fromResync) || this.stopped || this.hubReported === undefined) return;
      const snapshot = this.latest;
      const own = this.ownReported;
      const stateDiff = snapshot ? createMergePatch(withoutOwnKeys(this.hubReported), withoutOwnKeys(snapshot.state)) : {};
      const patch = own ? { ...stateDiff, ...own } : stateDiff;
      if (Object.keys(patch).length === 0) return;
      if (!(await this.patchWithBackoff(patch))) return;
      this.hubReported = applyMergePatch(this.hubReported ?? {}, patch);
      if (this.ownReported === own) this.ownReported = undefined;
      if (this.latest === snapshot && this.ownReported === undefined) return;
    }
  }

  /** Sends one patch; false when the connection was lost meanwhile (the next resync sends it). */
  private async patchWithBackoff(patch: JsonObject): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.twin.patchReported(patch);
        return true;
      } catch (error) {
        if (this.hubReported === undefined || (!this.connection.online && isAmoraError(error) && error.code !== 'transport_failed')) {
          return false;
        }
        if (!isThrottledError(error) || attempt > this.options.throttledRetries) throw error;
        const delay = this.retryPolicy.nextRetryTimeout(attempt, true);
        this.logger.warn({ attempt, retryInMs: delay }, 'IoT Hub throttled a reported-properties patch; backing off');
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
      }
    }
  }

  private async sendEvent(link: DeviceLink, message: TelemetryOut): Promise<void> {
    const event = new deviceSdk.Message(Buffer.from(message.body, 'utf8'));
    event.contentType = 'application/json';
    event.contentEncoding = 'utf-8';
    event.properties.add('messageType', message.kind);
    try {
      await link.client.sendEvent(event);
    } catch (error) {
      throw new TransportError('unavailable', `telemetry not sent: ${(error as Error).message}`, { cause: error });
    }
  }

  private onDisconnected(error: unknown): void {
    this.ready = false;
    this.sender.pause();
    this.hubReported = undefined;
    this.gate.abortSync();
    this.twin.failPending(error);
  }

  private settledWithin(promise: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms);
      void promise.finally(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  private logSyncFailure(error: unknown): void {
    if (this.connection.online) this.logger.warn({ err: { message: (error as Error).message } }, 'fetching the twin again failed');
  }
}

function withoutOwnKeys(state: JsonObject): JsonObject {
  if (!Object.hasOwn(state, COMMAND_RESPONSE_KEY)) return state;
  const { [COMMAND_RESPONSE_KEY]: _own, ...rest } = state;
  return rest;
}

function toJson(response: CommandResponse): JsonObject {
  // ErrorObject.details is typed unknown but is JSON by construction.
  return response as unknown as JsonObject;
}
