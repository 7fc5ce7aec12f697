import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startAzureIotHubEmulator, type AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { listenError } from '../listen-error.js';
import { onShutdown } from '../shutdown.js';

interface EmulateAzureOptions {
  readonly bind: string;
  readonly hostName: string;
  readonly port: number;
  readonly httpsPort: number;
  readonly device: readonly string[];
  readonly dir: string;
  readonly stateFile?: string;
  readonly certDir?: string;
  readonly ephemeral?: boolean;
  readonly telemetry?: boolean;
}

/** Where the emulator keeps its CA, server certificate and registry unless told otherwise. */
const DEFAULT_DIR = join('.amora', 'azure-iot-emulator');

/**
 * `amora emulate azure`: a local IoT Hub that the real Azure SDKs accept (MQTT over TLS and
 * WebSocket for devices, HTTPS for the service API). Prints the connection strings to use; they
 * hold keys, so they go to stdout for the user only, never to a log. Certificates and the registry
 * persist under `.amora/azure-iot-emulator/` so connection strings and the CA stay valid across
 * restarts (`--ephemeral` keeps everything in memory).
 */
export function emulateAzureCommand(): Command {
  return new Command('azure')
    .description('run a local Azure IoT Hub emulator (device MQTT/TLS + WebSocket, service HTTPS)')
    .option('--bind <address>', 'address to listen on (0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--host-name <name>', 'host name written into connection strings and the server certificate', 'localhost')
    .option('-p, --port <n>', 'MQTT over TLS port for devices (0 = any free port)', port, 8883)
    .option('--https-port <n>', 'HTTPS port for the service API and MQTT over WebSocket (0 = any free port)', port, 8443)
    .option('-d, --device <id>', 'register a device with generated keys (repeatable)', collect, [] as string[])
    .option('--dir <path>', 'directory for certificates and state', DEFAULT_DIR)
    .option('--state-file <path>', 'devices, keys and twins (default: <dir>/state.json)')
    .option('--cert-dir <path>', 'CA and server certificate; ca.pem is what clients trust (default: <dir>)')
    .option('--ephemeral', 'keep certificates and state in memory only')
    .option('--telemetry', 'print device-to-cloud messages as they arrive')
    .action(async (options: EmulateAzureOptions) => {
      const persist = options.ephemeral ? {} : { stateFile: options.stateFile ?? join(options.dir, 'state.json'), certDir: options.certDir ?? options.dir };
      const hub = await startAzureIotHubEmulator({
        bind: options.bind,
        hostName: options.hostName,
        port: options.port,
        httpsPort: options.httpsPort,
        devices: options.device,
        ...persist,
      }).catch((error: unknown) => {
        throw listenError(error, options.bind);
      });
      printSummary(hub);
      if (options.telemetry) {
        hub.devices.telemetry$.subscribe((message) => {
          const type = message.properties['messageType'] ?? '-';
          out(`[telemetry] ${new Date(message.enqueuedTime).toISOString()} ${message.deviceId} ${type} ${message.body.toString('utf8')}`);
        });
      }
      onShutdown(() => hub.close());
    });
}

function printSummary(hub: AzureIotHubEmulator): void {
  out('Azure IoT Hub emulator');
  out(`  devices (MQTT over TLS):   mqtts://${hub.host}:${hub.mqttPort}`);
  out(`  service API (HTTPS):       https://${hub.host}:${hub.httpsPort}`);
  out(`  MQTT over WebSocket:       wss://${hub.host}:${hub.wsPort}/$iothub/websocket`);
  out(`  CA certificate to trust:   ${hub.caPath ?? '(in memory, printed below)'}`);
  if (!hub.caPath) out(hub.caPem.trimEnd());
  out();
  out('Service connection string (policy iothubowner):');
  out(`  ${hub.serviceConnectionString}`);
  const devices = hub.registry.listDevices();
  for (const device of devices) {
    out(`Device ${device.deviceId}:`);
    out(`  ${hub.deviceConnectionString(device.deviceId)}`);
    out(`  over WebSocket: ${hub.deviceConnectionString(device.deviceId, { websocket: true })}`);
  }
  if (devices.length === 0) {
    out('No devices yet: pass --device <id>, or create them with the azure-iothub Registry API.');
    return;
  }
  out();
  out(`For examples/azure/agent.yaml (device ${devices[0]!.deviceId}):`);
  out(`  export AMORA_DEVICE_CONNECTION_STRING='${hub.deviceConnectionString(devices[0]!.deviceId)}'`);
  out(`  export AMORA_SERVICE_CONNECTION_STRING='${hub.serviceConnectionString}'`);
  if (hub.caPath) out(`  export AMORA_AZURE_CA='${hub.caPath}'`);
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new InvalidArgumentError('expected a port number 0-65535');
  return parsed;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}
