import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, map } from 'rxjs';
import type { ControllerTransport } from '../../core/transport/controller-transport.js';
import { AzureIotHubControllerTransport } from '../../adapters/azure-iot-hub/controller-transport.js';
import type { AzureIotHubDeviceTransport } from '../../adapters/azure-iot-hub/device-transport.js';
import { ENVELOPE_METHOD } from '../../adapters/azure-iot-hub/device-transport.js';
import {
  createEmulatorCertificates,
  MethodInvocationError,
  startAzureIotHubEmulator,
  type AzureIotHubEmulator,
  type EmulatorCertificates,
} from '../../adapters/azure-iot-hub/emulator/index.js';
import { commandResponseFromMethod } from '../../adapters/azure-iot-hub/method-answer.js';
import { parseAzureIotHubOptions } from '../../adapters/azure-iot-hub/options.js';
import { describeTransportConformance, type ReceivedTelemetry } from '../conformance/index.js';
import { azureDevice } from './azure-support.js';

/**
 * The conformance suite for the Azure device transport + Azure controller, on the emulator with
 * the real SDKs over TLS. Azure-specific notes:
 * - sendRawCommand uses the generic `command` direct method (the seed wire format in its body)
 *   and the emulator's raw-body hook, since the service API only carries JSON. A body over the
 *   hub's 128 KB direct-method limit never reaches a device: the hub refuses it (413), which is
 *   the answer reported, as `payload_too_large`.
 * - restartBroker keeps the hub down until every controller has noticed (REST has no connection
 *   whose loss would tell it), then starts it again on the same ports, CA and state file.
 */
let hub: AzureIotHubEmulator;
let certificates: EmulatorCertificates;
let stateDir: string;
const controllers: AzureIotHubControllerTransport[] = [];

function startHub(ports: { port: number; httpsPort: number } = { port: 0, httpsPort: 0 }): Promise<AzureIotHubEmulator> {
  return startAzureIotHubEmulator({ ...ports, certificates, stateFile: join(stateDir, 'hub.json') });
}

describeTransportConformance('azure-iot-hub', {
  async setup() {
    stateDir = await mkdtemp(join(tmpdir(), 'amora-azure-conformance-'));
    certificates = await createEmulatorCertificates();
    hub = await startHub();
  },
  async teardown() {
    await hub.close();
    await rm(stateDir, { recursive: true, force: true });
  },
  eventTimeoutMs: 15_000,

  createDeviceTransport(deviceId) {
    hub.registry.createDevice(deviceId);
    return azureDevice(hub, deviceId);
  },
  createControllerTransport(): ControllerTransport {
    const controller = new AzureIotHubControllerTransport(
      parseAzureIotHubOptions({ serviceConnectionString: hub.serviceConnectionString, ca: hub.caPem, refreshIntervalMs: 100 }),
      'azure-iot-hub',
      undefined,
      undefined,
      undefined,
    );
    controllers.push(controller);
    return controller;
  },
  dropConnection(device) {
    hub.devices.disconnect((device as AzureIotHubDeviceTransport).deviceId);
  },
  async restartBroker() {
    const ports = { port: hub.mqttPort, httpsPort: hub.httpsPort };
    await hub.close();
    await Promise.all(
      controllers.map((controller) => firstValueFrom(controller.status$.pipe(filter((status) => status.state !== 'online')))),
    );
    hub = await startHub(ports);
  },
  async subscribeTelemetry(deviceId, kind) {
    const batches$ = hub.devices.telemetry$.pipe(
      filter((message) => message.deviceId === deviceId && message.properties['messageType'] === kind),
      map((message) => JSON.parse(message.body.toString('utf8')) as ReceivedTelemetry),
    );
    return { batches$, close: () => undefined };
  },
  async sendRawCommand(deviceId, payload, commandId) {
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
    try {
      const answer = await hub.devices.invokeRawMethod(deviceId, ENVELOPE_METHOD, body, { connectTimeoutMs: 0, responseTimeoutMs: 10_000 });
      return commandId === undefined ? undefined : commandResponseFromMethod('', commandId, answer.status, answer.payload, Date.now());
    } catch (error) {
      if (error instanceof MethodInvocationError && error.status === 413 && commandId !== undefined) {
        return { command_id: commandId, command: '', success: false, error: { code: 'payload_too_large', message: error.message }, timestamp: Date.now() };
      }
      throw error;
    }
  },
});
