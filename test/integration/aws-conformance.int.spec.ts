import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { AwsIotControllerTransport } from '../../adapters/aws-iot/controller-transport.js';
import { AwsIotDeviceTransport } from '../../adapters/aws-iot/device-transport.js';
import { startAwsIotEmulator, type AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { parseAwsIotOptions } from '../../adapters/aws-iot/options.js';
import type { CommandResponse } from '../../core/commands/types.js';
import { ExponentialBackoffRetryPolicy } from '../../core/transport/exponential-backoff.js';
import type { DeviceTransport } from '../../core/transport/device-transport.js';
import { describeTransportConformance, type ReceivedTelemetry } from '../conformance/index.js';
import { SdkClient } from './aws-support.js';

/**
 * The transport conformance suite for AWS IoT Core, once per link: the device and controller MQTT
 * connections (each with its own certificate) over mqtt.js (`link: mqtt`, the default) and over
 * the real aws-iot-device-sdk-v2 (`link: sdk`), with @aws-sdk/client-iot-data-plane (controller
 * REST), against the local emulator over mutual TLS.
 */

let emulator: AwsIotEmulator;
let probe: SdkClient;
/** Ours, not the emulator's: a restart must find the same CA and things in it. */
let certDir: string;
const retry = new ExponentialBackoffRetryPolicy({ initialMs: 100, maxMs: 500 });
const thingOf = new WeakMap<DeviceTransport, string>();

async function startEmulator(ports?: { mqttPort: number; httpsPort: number }): Promise<void> {
  emulator = await startAwsIotEmulator({ ...ports, certDir });
  probe = await SdkClient.connect(emulator, 'conformance-probe', `conformance-probe-${Date.now().toString(36)}`);
}

for (const link of ['mqtt', 'sdk'] as const) {
  const baseOptions = (certPath: string, keyPath: string): Parameters<typeof parseAwsIotOptions>[0] => ({
    endpoint: emulator.endpoint,
    port: emulator.mqttPort,
    certPath,
    keyPath,
    caPath: emulator.caPath,
    operationTimeoutMs: 5_000,
    link,
  });

  describeTransportConformance(`aws-iot, link ${link} (emulator, real SDKs over mutual TLS)`, {
    async setup() {
      certDir = await mkdtemp(join(tmpdir(), 'amora-aws-conformance-'));
      await startEmulator();
    },

    async teardown() {
      await probe?.disconnect();
      await emulator?.close();
      if (certDir) await rm(certDir, { recursive: true, force: true });
    },

    async createDeviceTransport(deviceId) {
      const credentials = await emulator.createThing(deviceId);
      const options = parseAwsIotOptions(baseOptions(credentials.certPath, credentials.keyPath));
      const transport = new AwsIotDeviceTransport(options, 'aws-iot', deviceId, undefined, retry, undefined);
      thingOf.set(transport, deviceId);
      return transport;
    },

    async createControllerTransport() {
      const credentials = await emulator.createThing('amora-controller');
      const options = parseAwsIotOptions({
        ...baseOptions(credentials.certPath, credentials.keyPath),
        controller: { httpsEndpoint: emulator.httpsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } },
      });
      return new AwsIotControllerTransport(options, 'aws-iot', undefined, retry, undefined);
    },

    dropConnection(device) {
      const thing = thingOf.get(device);
      if (!thing || !emulator.dropClient(thing)) throw new Error('device is not connected to the emulator');
    },

    async restartBroker() {
      const { mqttPort, httpsPort } = emulator;
      await probe.disconnect();
      await emulator.close();
      await startEmulator({ mqttPort, httpsPort });
    },

    async subscribeTelemetry(deviceId, kind) {
      const topic = `amora/telemetry/${deviceId}/${kind}`;
      const batches = new Subject<ReceivedTelemetry>();
      const client = await SdkClient.connect(emulator, 'conformance-probe', `telemetry-${deviceId}`);
      client.connection.on('message', (received, payload) => {
        if (received === topic) batches.next(JSON.parse(new TextDecoder().decode(payload)) as ReceivedTelemetry);
      });
      await client.subscribe(topic);
      return {
        batches$: batches.asObservable(),
        close: async () => {
          batches.complete();
          await client.disconnect();
        },
      };
    },

    async sendRawCommand(deviceId, payload, commandId) {
      const responses = `amora/devices/${deviceId}/responses`;
      await probe.subscribe(responses);
      const answer = commandId === undefined ? undefined : probe.nextJson<CommandResponse>(responses, (body) => body['command_id'] === commandId);
      // Published as the service, so a payload over AWS IoT's 128 KB client limit still reaches the device.
      await emulator.publish(`amora/devices/${deviceId}/commands`, typeof payload === 'string' ? payload : payload, 1);
      return answer ? await answer : undefined;
    },
  });
}
