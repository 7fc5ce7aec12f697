import { Command, InvalidArgumentError } from 'commander';
import { startAzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { listenError } from '../listen-error.js';
import { onShutdown } from '../shutdown.js';

interface EmulateAzureOptions {
  readonly bind: string;
  readonly hostName: string;
  readonly port: number;
  readonly httpsPort: number;
  readonly device: readonly string[];
  readonly stateFile?: string;
  readonly certDir?: string;
  readonly telemetry?: boolean;
}

/**
 * `amora emulate azure`: a local IoT Hub that the real Azure SDKs accept (MQTT over TLS and
 * WebSocket for devices, HTTPS for the service API). Prints the connection strings to use; they
 * hold keys, so they go to stdout for the user only, never to a log.
 */
export function emulateAzureCommand(): Command {
  return new Command('azure')
    .description('run a local Azure IoT Hub emulator (device MQTT/TLS + WebSocket, service HTTPS)')
    .option('--bind <address>', 'address to listen on (0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--host-name <name>', 'host name written into connection strings and the server certificate', 'localhost')
    .option('-p, --port <n>', 'MQTT over TLS port for devices (0 = any free port)', port, 8883)
    .option('--https-port <n>', 'HTTPS port for the service API and MQTT over WebSocket (0 = any free port)', port, 8443)
    .option('-d, --device <id>', 'register a device with generated keys (repeatable)', collect, [] as string[])
    .option('--state-file <path>', 'keep devices, keys and twins in this JSON file across restarts')
    .option('--cert-dir <dir>', 'keep the generated CA and server certificate here (ca.pem is what clients trust)')
    .option('--telemetry', 'print device-to-cloud messages as they arrive')
    .action(async (options: EmulateAzureOptions) => {
      const hub = await startAzureIotHubEmulator({
        bind: options.bind,
        hostName: options.hostName,
        port: options.port,
        httpsPort: options.httpsPort,
        devices: options.device,
        ...(options.stateFile ? { stateFile: options.stateFile } : {}),
        ...(options.certDir ? { certDir: options.certDir } : {}),
      }).catch((error: unknown) => {
        throw listenError(error, options.bind);
      });
      const out = (line = ''): void => void process.stdout.write(`${line}\n`);
      out(`Azure IoT Hub emulator`);
      out(`  devices (MQTT over TLS):  mqtts://${hub.host}:${hub.mqttPort}`);
      out(`  service API (HTTPS) and MQTT over WebSocket:  https://${hub.host}:${hub.httpsPort}  (wss://${hub.host}:${hub.wsPort}/$iothub/websocket)`);
      out(`  CA certificate to trust:  ${hub.caPath ?? '(in memory; pass --cert-dir to keep it in a file)'}`);
      if (!hub.caPath) out(hub.caPem.trimEnd());
      out();
      out(`Service connection string (iothubowner):`);
      out(`  ${hub.serviceConnectionString}`);
      for (const device of hub.registry.listDevices()) {
        out(`Device ${device.deviceId}:`);
        out(`  ${hub.deviceConnectionString(device.deviceId)}`);
        out(`  (WebSocket) ${hub.deviceConnectionString(device.deviceId, { websocket: true })}`);
      }
      if (hub.registry.listDevices().length === 0) out('No devices yet: pass --device <id>, or create them with the azure-iothub Registry API.');
      if (options.telemetry) {
        hub.devices.telemetry$.subscribe((message) => {
          const type = message.properties['messageType'] ?? '-';
          out(`[telemetry] ${new Date(message.enqueuedTime).toISOString()} ${message.deviceId} ${type} ${message.body.toString('utf8')}`);
        });
      }
      onShutdown(() => hub.close());
    });
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) throw new InvalidArgumentError('expected a port number 0-65535');
  return parsed;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}
