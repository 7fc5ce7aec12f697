import { AgentConfigSchema, type KindSection, type LoadedConfig } from '../core/index.js';
import type { AwsIotOptionsInput } from '../adapters/aws-iot/options.js';
import type { MqttOptionsInput } from '../adapters/mqtt/options.js';

/**
 * Where an AmoraClient's devices are: one `transports:` entry of an agent config (`{kind, ...options}`),
 * built as that kind's controller through the plugin registry. Apps name the transport in
 * configuration, so moving a fleet from Azure IoT Hub to MQTT or AWS IoT changes this value only.
 */
export type ClientTransport = KindSection;

/** The environment variable naming a CA to trust for IoT Hub (what `amora emulate azure` prints). */
export const AZURE_CA_ENV = 'AMORA_AZURE_CA';

/** The azure-iot-hub entry for the guide's two connection strings (push mode with the Event Hub one); the CA from AMORA_AZURE_CA when set. */
export function azureIotHubTransport(
  iotHubConnectionString: string,
  eventHubConnectionString: string,
  env: Readonly<Record<string, string | undefined>>,
): ClientTransport {
  const ca = env[AZURE_CA_ENV];
  return {
    kind: 'azure-iot-hub',
    serviceConnectionString: iotHubConnectionString,
    // Live status is pushed from the Event Hub endpoint, as in the guide; without one the twin is polled.
    ...(eventHubConnectionString ? { eventHubConnectionString } : {}),
    ...(ca ? { ca } : {}),
  };
}

/** A generic MQTT broker (`mqtt://`, `mqtts://`, `ws://`, `wss://`) with the mqtt kind's options. */
export function mqttTransport(url: string, options: Omit<MqttOptionsInput, 'url'> = {}): ClientTransport {
  return { ...(options as Record<string, unknown>), kind: 'mqtt', url };
}

/** AWS IoT Core: the device data endpoint, the app's certificate and key, and the data-plane settings. */
export function awsIotTransport(options: AwsIotOptionsInput): ClientTransport {
  return { ...(options as Record<string, unknown>), kind: 'aws-iot' };
}

/** The one-transport config a controller is built from (with the `middleware` list, if any); the device id is the client's own name. */
export function clientConfig(transport: ClientTransport, middleware?: readonly KindSection[]): LoadedConfig {
  return AgentConfigSchema.parse({ device: { id: 'amora-client' }, transports: [transport], ...(middleware ? { middleware } : {}) });
}
