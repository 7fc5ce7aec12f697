import type { Subscription } from 'rxjs';
import { formatConnectionString } from '../../connection-string.js';
import type { DeviceEndpoint } from '../device-endpoint.js';
import type { HubRegistry } from '../hub-registry.js';
import { AmqpEndpoint } from './amqp-endpoint.js';
import { EventStore, type RetentionDrops, type RetentionOptions, type RoutedEvent, type StoredEvent } from './event-store.js';
import { connectionStateEvent, telemetryEvent, twinChangeEvent } from './routed-events.js';

/**
 * The emulator's built-in Event Hub-compatible endpoint ("messages/events" on a real hub): every
 * device-to-cloud message routed to it, as the AmoraSDK guide's `StatusRoute` (source
 * `DeviceMessages`, condition `true`) routes them, plus twin change and device connection state
 * events when those routes are enabled (they are by default here). Read with `@azure/event-hubs`
 * over plain AMQP (`UseDevelopmentEmulator=true`) or AMQPS with the emulator's CA.
 */
export interface EventHubOptions {
  /** Plain AMQP port (the SDK's `UseDevelopmentEmulator=true`); 0 picks a free one. Default 0. */
  readonly port?: number;
  /** AMQP over TLS port; 0 picks a free one; `false` serves no TLS listener. Default 0. */
  readonly tlsPort?: number | false;
  /** The Event Hub name (`EntityPath`). Default: the hub's name, the first label of its host name. */
  readonly name?: string;
  /** Partitions; device ids are hashed onto them. Default 4. */
  readonly partitionCount?: number;
  /** Consumer groups besides `$Default`. */
  readonly consumerGroups?: readonly string[];
  /** Route twin change events (reported and desired patches). Default true. */
  readonly twinChangeEvents?: boolean;
  /** Route device connection state events. Default true. */
  readonly connectionStateEvents?: boolean;
  readonly retention?: RetentionOptions;
}

export interface EventHubEndpointInfo {
  readonly name: string;
  readonly port: number;
  readonly tlsPort?: number;
  readonly partitionIds: readonly string[];
  readonly consumerGroups: readonly string[];
  /** What retention dropped so far. */
  readonly drops: RetentionDrops;
  /** `Endpoint=sb://host:port/;…;EntityPath=…;UseDevelopmentEmulator=true`: plain AMQP, works as is. */
  readonly connectionString: string;
  /** The same over AMQPS; the client must trust the emulator's CA (Node: NODE_EXTRA_CA_CERTS). */
  readonly tlsConnectionString?: string;
  /** Routes an event as the hub would (tests use it to fill partitions). */
  publish(event: RoutedEvent): StoredEvent;
  /** Destroys every AMQP connection from the server side, as a network fault would. */
  dropConnections(): number;
  /** AMQP connections open now, and partition receiver links among them. */
  readonly connectionCount: number;
  readonly receiverCount: number;
}

export interface EventHubEndpointDeps {
  readonly bind: string;
  readonly hostName: string;
  readonly registry: HubRegistry;
  readonly devices: DeviceEndpoint;
  readonly tls: { readonly key: string; readonly cert: string };
}

export class EventHubEndpoint implements EventHubEndpointInfo {
  readonly name: string;
  readonly consumerGroups: readonly string[];
  port = 0;
  tlsPort?: number;
  private readonly store: EventStore;
  private readonly amqp: AmqpEndpoint;
  private readonly subscriptions: Subscription[] = [];
  private readonly unsubscribeDesired: () => void = () => undefined;
  /** Starts from the clock so the order holds across emulator restarts, as a hub's sequence numbers do. */
  private connectionSequence = Date.now() * 1_000;

  private constructor(
    private readonly deps: EventHubEndpointDeps,
    private readonly options: EventHubOptions,
  ) {
    this.name = options.name ?? deps.hostName.split('.')[0]!.split(':')[0]!;
    this.consumerGroups = ['$Default', ...(options.consumerGroups ?? []).filter((group) => group.toLowerCase() !== '$default')];
    this.store = new EventStore({ partitionCount: options.partitionCount, ...options.retention });
    this.amqp = new AmqpEndpoint({
      store: this.store,
      registry: deps.registry,
      hubName: this.name,
      consumerGroups: this.consumerGroups,
      createdAt: Date.now(),
    });
    const { devices, registry } = deps;
    this.subscriptions.push(devices.telemetry$.subscribe((message) => this.publish(telemetryEvent(message, this.authMethod(message.deviceId)))));
    if (options.twinChangeEvents ?? true) {
      this.subscriptions.push(
        devices.reportedPatches$.subscribe((patch) =>
          this.publish(
            twinChangeEvent(this.name, {
              deviceId: patch.deviceId,
              section: 'reported',
              patch: patch.patch,
              sectionVersion: patch.version,
              twinVersion: registry.getDevice(patch.deviceId)?.twin.version ?? patch.version,
              at: Date.now(),
            }),
          ),
        ),
      );
      this.unsubscribeDesired = registry.onDesiredChange((change) => {
        this.publish(
          twinChangeEvent(this.name, {
            deviceId: change.deviceId,
            section: 'desired',
            patch: change.patch,
            sectionVersion: change.version,
            twinVersion: registry.getDevice(change.deviceId)?.twin.version ?? change.version,
            at: Date.now(),
          }),
        );
      });
    }
    if (options.connectionStateEvents ?? true) {
      this.subscriptions.push(
        devices.connections$.subscribe((event) =>
          this.publish(connectionStateEvent(this.name, { deviceId: event.deviceId, connected: event.connected, at: Date.now(), sequence: ++this.connectionSequence })),
        ),
      );
    }
  }

  static async start(deps: EventHubEndpointDeps, options: EventHubOptions = {}): Promise<EventHubEndpoint> {
    const endpoint = new EventHubEndpoint(deps, options);
    try {
      endpoint.port = await endpoint.amqp.listen(options.port ?? 0, deps.bind);
      if (options.tlsPort !== false) endpoint.tlsPort = await endpoint.amqp.listen(options.tlsPort ?? 0, deps.bind, deps.tls);
    } catch (error) {
      await endpoint.close();
      throw error;
    }
    return endpoint;
  }

  get partitionIds(): readonly string[] {
    return this.store.partitionIds;
  }

  get drops(): RetentionDrops {
    return this.store.drops;
  }

  get connectionString(): string {
    return this.connectionStringFor(this.port, true);
  }

  get tlsConnectionString(): string | undefined {
    return this.tlsPort === undefined ? undefined : this.connectionStringFor(this.tlsPort, false);
  }

  publish(event: RoutedEvent): StoredEvent {
    return this.store.append(event);
  }

  dropConnections(): number {
    return this.amqp.dropConnections();
  }

  get connectionCount(): number {
    return this.amqp.connectionCount;
  }

  get receiverCount(): number {
    return this.amqp.receiverCount;
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.unsubscribeDesired();
    await this.amqp.close();
  }

  private connectionStringFor(port: number, plain: boolean): string {
    // The `service` policy (ServiceConnect) is all a reader needs, as on a real hub.
    const policy = this.deps.registry.policy('service')!;
    return formatConnectionString({
      Endpoint: `sb://${this.deps.hostName}:${port}/`,
      SharedAccessKeyName: policy.keyName,
      SharedAccessKey: policy.primaryKey,
      EntityPath: this.name,
      ...(plain ? { UseDevelopmentEmulator: 'true' } : {}),
    });
  }

  /** `iothub-connection-auth-method` as IoT Hub writes it. */
  private authMethod(deviceId: string): string {
    const authentication = this.deps.registry.getDevice(deviceId)?.authentication.type;
    const type = authentication === 'selfSigned' ? 'x509Certificate' : authentication === 'certificateAuthority' ? 'x509CA' : 'sas';
    return JSON.stringify({ scope: 'device', type, issuer: 'iothub', acceptingIpFilterRule: null });
  }
}
