import { Container } from 'inversify';
import mqtt, { type MqttClient } from 'mqtt';
import { Observable } from 'rxjs';
import type { CommandResponse } from '../../core/commands/types.js';
import { silentLogger, type Logger } from '../../core/logging/logger.js';
import { PluginRegistry } from '../../core/plugins/loader.js';
import { TOKENS } from '../../core/plugins/tokens.js';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { MqttDeviceTransport } from '../../adapters/mqtt/device-transport.js';
import { readPayload } from '../../core/transport/payload-json.js';
import { commandResponseSchema, telemetryMessageSchema } from '../../core/transport/wire-messages.js';
import type { MqttOptionsInput } from '../../adapters/mqtt/options.js';
import mqttPlugin from '../../adapters/mqtt/plugin.js';
import { MqttTopics } from '../../adapters/mqtt/topics.js';
import type { TelemetrySubscription, TransportHarness } from '../conformance/harness.js';

/**
 * Builds MQTT transports the way an agent does (the amora-mqtt plugin, each instance in its own
 * child container) and gives tests raw mqtt.js access to the same broker.
 */
export interface MqttHarnessOptions {
  /** The broker URL; read when a transport is built, so a harness can start the broker in setup(). */
  readonly url: () => string;
  /** Extra kind options for every transport (e.g. protocolVersion, credentials, tls). */
  readonly options?: Omit<MqttOptionsInput, 'url'>;
  readonly setup?: () => Promise<void>;
  readonly teardown?: () => Promise<void>;
  readonly restartBroker?: () => Promise<void>;
  readonly logger?: Logger;
}

/** Fast reconnects, so tests about losses do not wait for production backoff. */
export const TEST_RETRY = { initialMs: 20, maxMs: 250 } as const;

/** Builds one instance of the `mqtt` kind through the plugin registry, as buildAgent does. */
export function buildMqttInstance<T>(
  token: symbol,
  rawOptions: MqttOptionsInput,
  deviceId = 'unused',
  logger: Logger = silentLogger,
): T {
  const registry = new PluginRegistry();
  registry.register(mqttPlugin);
  const root = new Container();
  root.bind(TOKENS.DeviceId).toConstantValue(deviceId);
  root.bind(TOKENS.Logger).toConstantValue(logger);
  return registry.instantiate<T>(root, 'mqtt', rawOptions, token, 'mqtt');
}

/** Opens a raw mqtt.js client (MQTT 3.1.1 unless told otherwise) for assertions outside our transports. */
export async function rawClient(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, protocolVersion: 4, ...options });
}

export function mqttHarness(config: MqttHarnessOptions): TransportHarness & { raw(): Promise<MqttClient> } {
  const topics = new MqttTopics(config.options?.topicPrefix);
  const logger = config.logger ?? silentLogger;
  let raw: Promise<MqttClient> | undefined;
  const options = (): MqttOptionsInput => ({ retry: TEST_RETRY, ...config.options, url: config.url() });
  const getRaw = (): Promise<MqttClient> => (raw ??= rawClient(config.url(), { reconnectPeriod: 100 }));

  return {
    raw: getRaw,
    async setup() {
      await config.setup?.();
    },
    async teardown() {
      const client = raw;
      raw = undefined;
      await (await client)?.endAsync(true);
      await config.teardown?.();
    },
    createDeviceTransport: (deviceId) => buildMqttInstance<DeviceTransport>(TOKENS.DeviceTransport, options(), deviceId, logger),
    createControllerTransport: () => buildMqttInstance<ControllerTransport>(TOKENS.ControllerTransport, options(), undefined, logger),
    dropConnection(device) {
      (device as MqttDeviceTransport).interruptConnection();
    },
    ...(config.restartBroker ? { restartBroker: config.restartBroker } : {}),

    async subscribeTelemetry(deviceId, kind): Promise<TelemetrySubscription> {
      const client = await rawClient(config.url());
      const topic = topics.telemetry(deviceId, kind);
      const batches$ = new Observable<{ kind: string; records: { data: never; timestamp: number }[] }>((subscriber) => {
        const onMessage = (received: string, payload: Buffer): void => {
          const message = received === topic ? readPayload(telemetryMessageSchema, payload) : undefined;
          if (message) subscriber.next(message as never);
        };
        client.on('message', onMessage);
        return () => client.removeListener('message', onMessage);
      });
      await client.subscribeAsync(topic, { qos: 1 });
      return { batches$, close: () => client.endAsync(true) };
    },

    async sendRawCommand(deviceId, payload, commandId): Promise<CommandResponse | undefined> {
      const client = await getRaw();
      const responseTopic = topics.responses(deviceId);
      let answered: Promise<CommandResponse> | undefined;
      if (commandId !== undefined) {
        answered = new Promise<CommandResponse>((resolve) => {
          const onMessage = (topic: string, message: Buffer): void => {
            const response = topic === responseTopic ? readPayload(commandResponseSchema, message) : undefined;
            if (response?.command_id !== commandId) return;
            client.removeListener('message', onMessage);
            resolve(response);
          };
          client.on('message', onMessage);
        });
        await client.subscribeAsync(responseTopic, { qos: 1 });
      }
      await client.publishAsync(topics.commands(deviceId), typeof payload === 'string' ? payload : Buffer.from(payload), { qos: 1 });
      return answered;
    },
  };
}
