import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { iot, mqtt } from 'aws-iot-device-sdk-v2';
import { Agent } from 'node:https';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import type { AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import type { ConnectionStatus } from '../../core/transport/connection-status.js';

/**
 * Helpers for the AWS integration specs: a plain aws-iot-device-sdk-v2 client (the "other side"
 * of a device: a backend or a test probe) and an @aws-sdk/client-iot-data-plane client, both
 * talking to the local emulator over real TLS.
 */

/** One message received by an SdkClient. */
export interface ReceivedMessage {
  readonly topic: string;
  readonly text: string;
  readonly retain: boolean;
}

/** A raw aws-iot-device-sdk-v2 MQTT 3.1.1 connection that records what it receives. */
export class SdkClient {
  readonly received: ReceivedMessage[] = [];
  private waiters: { match(message: ReceivedMessage): boolean; resolve(message: ReceivedMessage): void }[] = [];

  private constructor(readonly connection: mqtt.MqttClientConnection) {
    connection.on('message', (topic, payload, _dup, _qos, retain) => {
      const message = { topic, text: new TextDecoder().decode(payload), retain };
      this.received.push(message);
      const matched = this.waiters.filter((waiter) => waiter.match(message));
      this.waiters = this.waiters.filter((waiter) => !matched.includes(waiter));
      for (const waiter of matched) waiter.resolve(message);
    });
  }

  /** Connects with a thing's certificate (created on the emulator when missing). */
  static async connect(emulator: AwsIotEmulator, thingName: string, clientId = `${thingName}-probe`): Promise<SdkClient> {
    const credentials = await emulator.createThing(thingName);
    return SdkClient.connectWith(emulator, iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(credentials.certPath, credentials.keyPath), clientId);
  }

  /** Connects with a certificate and key given as PEM (e.g. from CreateKeysAndCertificate). */
  static connectWithPem(emulator: AwsIotEmulator, certificatePem: string, privateKeyPem: string, clientId: string): Promise<SdkClient> {
    return SdkClient.connectWith(emulator, iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder(certificatePem, privateKeyPem), clientId);
  }

  private static async connectWith(emulator: AwsIotEmulator, builder: iot.AwsIotMqttConnectionConfigBuilder, clientId: string): Promise<SdkClient> {
    const config = builder
      .with_certificate_authority_from_path(undefined, emulator.caPath)
      .with_endpoint(emulator.endpoint)
      .with_port(emulator.mqttPort)
      .with_client_id(clientId)
      .with_clean_session(true)
      .with_keep_alive_seconds(30)
      .build();
    const connection = new mqtt.MqttClient().new_connection(config);
    await connection.connect();
    return new SdkClient(connection);
  }

  async subscribe(...filters: string[]): Promise<void> {
    for (const topicFilter of filters) await this.connection.subscribe(topicFilter, mqtt.QoS.AtLeastOnce);
  }

  async publish(topic: string, payload: unknown, retain = false): Promise<void> {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    await this.connection.publish(topic, text, mqtt.QoS.AtLeastOnce, retain);
  }

  /** The first message (already received or future) on `topic` whose JSON satisfies `predicate`. */
  next(topic: string, predicate: (body: Record<string, unknown>) => boolean = () => true, after = 0): Promise<ReceivedMessage> {
    const match = (message: ReceivedMessage): boolean => message.topic === topic && predicate(parse(message.text));
    const existing = this.received.slice(after).find(match);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Parsed JSON of `next()`. */
  async nextJson<T = Record<string, unknown>>(topic: string, predicate?: (body: Record<string, unknown>) => boolean, after = 0): Promise<T> {
    return parse((await this.next(topic, predicate, after)).text) as T;
  }

  /** Publishes a shadow request and waits for its accepted or rejected answer (matched by clientToken). */
  async shadowRequest(prefix: string, operation: 'get' | 'update' | 'delete', body: object = {}): Promise<{ result: 'accepted' | 'rejected'; body: Record<string, unknown> }> {
    const clientToken = `probe-${Math.random().toString(36).slice(2)}`;
    const accepted = `${prefix}/${operation}/accepted`;
    const rejected = `${prefix}/${operation}/rejected`;
    await this.subscribe(accepted, rejected);
    const byToken = (value: Record<string, unknown>): boolean => value['clientToken'] === clientToken;
    const answer = Promise.race([
      this.nextJson(accepted, byToken).then((value) => ({ result: 'accepted' as const, body: value })),
      this.nextJson(rejected, byToken).then((value) => ({ result: 'rejected' as const, body: value })),
    ]);
    await this.publish(`${prefix}/${operation}`, { ...body, clientToken });
    return answer;
  }

  disconnect(): Promise<void> {
    return this.connection.disconnect();
  }
}

function parse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A data-plane client for the emulator: its endpoint, its access key, its CA trusted. */
export function dataPlaneClient(emulator: AwsIotEmulator, credentials = emulator.credentials): IoTDataPlaneClient {
  return new IoTDataPlaneClient({
    endpoint: emulator.httpsEndpoint,
    region: emulator.region,
    credentials,
    requestHandler: { httpsAgent: new Agent({ ca: emulator.caPem, keepAlive: true }) },
  });
}

/** A control-plane client (`@aws-sdk/client-iot`) for the emulator, on the same endpoint. */
export function controlPlaneClient(emulator: AwsIotEmulator, credentials = emulator.credentials): IoTClient {
  return new IoTClient({
    endpoint: emulator.httpsEndpoint,
    region: emulator.region,
    credentials,
    requestHandler: { httpsAgent: new Agent({ ca: emulator.caPem, keepAlive: true }) },
  });
}

/** Resolves with the first status in `state` (with an error, when `withError`). */
export function statusIs(status$: Observable<ConnectionStatus>, state: ConnectionStatus['state'], withError = false): Promise<ConnectionStatus> {
  return firstValueFrom(status$.pipe(filter((status) => status.state === state && (!withError || status.error !== undefined))));
}

/** The text of a data-plane blob payload. */
export function blobText(payload: Uint8Array | undefined): string {
  return new TextDecoder().decode(payload ?? new Uint8Array());
}
