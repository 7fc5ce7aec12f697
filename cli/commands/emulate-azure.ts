import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { AzureIotHubEmulator } from '../../adapters/azure-iot-hub/emulator/index.js';
import { isValidDeviceId } from '../../adapters/azure-iot-hub/emulator/hub-registry.js';
import { integerIn, milliseconds, portNumber } from '../option-values.js';
import { emulatorCommand, exportLine, out, repeatable, serveUntilSignal, startListening, type ListenOptions } from './emulate-support.js';

interface EmulateAzureOptions extends ListenOptions {
  readonly device?: readonly string[];
  readonly dir: string;
  readonly stateFile?: string;
  readonly certDir?: string;
  readonly ephemeral?: boolean;
  readonly telemetry?: boolean;
  readonly amqpPort: number;
  readonly amqpsPort: number;
  readonly partitions: number;
  readonly consumerGroup?: readonly string[];
  readonly twinEvents: boolean;
  readonly connectionEvents: boolean;
  readonly retentionCount: number;
  readonly retentionAge: number;
}

/** An Event Hubs consumer group name: 1-50 letters, digits, `.`, `_`, `-` (and `$Default`). */
function isConsumerGroupName(name: string): boolean {
  return /^(\$Default|[A-Za-z0-9][\w.-]{0,49})$/.test(name);
}

/** Where the emulator keeps its CA, server certificate and registry unless told otherwise. */
const DEFAULT_DIR = join('.amora', 'azure-iot-emulator');

/**
 * `amora emulate azure`: a local IoT Hub that the real Azure SDKs accept (MQTT over TLS and
 * WebSocket for devices, HTTPS for the service API, the Event Hub-compatible endpoint over AMQP
 * for `@azure/event-hubs` readers). Prints the connection strings to use; they
 * hold keys, so they go to stdout for the user only (each key once), never to a log. Certificates
 * and the registry persist under `.amora/azure-iot-emulator/` so connection strings and the CA
 * stay valid across restarts (`--ephemeral` keeps everything in memory).
 */
export function emulateAzureCommand(): Command {
  return emulatorCommand('azure', 'run a local Azure IoT Hub emulator (device MQTT/TLS + WebSocket, service HTTPS, Event Hub-compatible AMQP)', {
    hostName: 'host name written into connection strings and the server certificate',
    port: 'MQTT over TLS port for devices',
    httpsPort: 'HTTPS port for the service API and MQTT over WebSocket; 443 (root or CAP_NET_BIND_SERVICE) gives a service connection string without a port, which stock azure-iothub needs',
  })
    .option('-d, --device <id>', 'register a device with generated keys (repeatable; kept if already registered)', repeatable(isValidDeviceId, 'an IoT Hub device id (1-128 letters, digits and -.%_*?!(),:=@$\')'))
    .option('--dir <path>', 'directory for certificates and state', DEFAULT_DIR)
    .option('--state-file <path>', 'devices, keys and twins (default: <dir>/state.json)')
    .option('--cert-dir <path>', 'CA and server certificate; ca.pem is what clients trust (default: <dir>)')
    .addOption(new Option('--ephemeral', 'keep certificates and state in memory only (the CA is printed)').conflicts(['dir', 'stateFile', 'certDir']))
    .option('--telemetry', 'print device-to-cloud messages as they arrive')
    .addOption(new Option('--amqp-port <n>', 'Event Hub-compatible endpoint, plain AMQP (UseDevelopmentEmulator=true) (0 = any free port)').default(5672).argParser(portNumber))
    .addOption(new Option('--amqps-port <n>', 'Event Hub-compatible endpoint, AMQP over TLS (0 = any free port)').default(5671).argParser(portNumber))
    .addOption(new Option('--partitions <n>', 'Event Hub partitions (device ids are hashed onto them)').default(4).argParser(integerIn(1, 32, 'a partition count')))
    .option('--consumer-group <name>', 'an Event Hub consumer group besides $Default (repeatable)', repeatable(isConsumerGroupName, 'a consumer group name (letters, digits, ._-, up to 50)'))
    .option('--no-twin-events', 'do not route twin change events to the Event Hub endpoint')
    .option('--no-connection-events', 'do not route device connection state events to the Event Hub endpoint')
    .addOption(new Option('--retention-count <n>', 'events kept per partition (older ones are dropped and counted)').default(10_000).argParser(integerIn(1, 10_000_000, 'an event count')))
    .addOption(new Option('--retention-age <ms>', 'events older than this are dropped').default(3_600_000).argParser(milliseconds))
    .action(async (options: EmulateAzureOptions) => {
      const { startAzureIotHubEmulator } = await import('../../adapters/azure-iot-hub/emulator/index.js');
      const persist = options.ephemeral ? {} : { stateFile: options.stateFile ?? join(options.dir, 'state.json'), certDir: options.certDir ?? options.dir };
      const eventHub = {
        port: options.amqpPort,
        tlsPort: options.amqpsPort,
        partitionCount: options.partitions,
        consumerGroups: options.consumerGroup ?? [],
        twinChangeEvents: options.twinEvents,
        connectionStateEvents: options.connectionEvents,
        retention: { maxEventsPerPartition: options.retentionCount, maxAgeMs: options.retentionAge },
      };
      const hub = await startListening(
        options,
        () =>
          startAzureIotHubEmulator({
            bind: options.bind,
            hostName: options.hostName,
            port: options.port,
            httpsPort: options.httpsPort,
            devices: options.device ?? [],
            eventHub,
            ...persist,
          }),
        { '--amqp-port': options.amqpPort, '--amqps-port': options.amqpsPort },
      );
      printSummary(hub);
      if (options.telemetry) {
        hub.devices.telemetry$.subscribe((message) => {
          const type = message.properties['messageType'] ?? '-';
          out(`[telemetry] ${new Date(message.enqueuedTime).toISOString()} ${message.deviceId} ${type} ${message.body.toString('utf8')}`);
        });
      }
      serveUntilSignal(hub);
    });
}

/** Addresses, then one `export` line per connection string (the names examples/azure/agent.yaml reads). */
function printSummary(hub: AzureIotHubEmulator): void {
  out('Azure IoT Hub emulator');
  out(`  devices, MQTT over TLS:        mqtts://${hub.host}:${hub.mqttPort}`);
  out(`  devices, MQTT over WebSocket:  wss://${hub.host}:${hub.wsPort}/$iothub/websocket`);
  out(`  service API, HTTPS:            https://${hub.host}:${hub.httpsPort}`);
  if (hub.eventHub) {
    out(`  Event Hub-compatible, AMQP:    amqp://${hub.host}:${hub.eventHub.port} (Event Hub ${hub.eventHub.name}, partitions ${hub.eventHub.partitionIds.join(',')})`);
    if (hub.eventHub.tlsPort !== undefined) out(`  Event Hub-compatible, AMQPS:   amqps://${hub.host}:${hub.eventHub.tlsPort}`);
    out(`  consumer groups:               ${hub.eventHub.consumerGroups.join(', ')}`);
  }
  out(`  CA certificate to trust:       ${hub.caPath ?? '(in memory, below)'}`);
  if (!hub.caPath) out(hub.caPem.trimEnd());
  out();
  out('Service, policy iothubowner (controllers: amora ctl/watch -c, azure-iothub):');
  out(`  ${exportLine({ AMORA_SERVICE_CONNECTION_STRING: hub.serviceConnectionString })}`);
  if (hub.caPath) out(`  ${exportLine({ AMORA_AZURE_CA: hub.caPath })}`);
  if (hub.eventHub) {
    out();
    out('Event Hub-compatible endpoint, policy service (new EventHubConsumerClient(\'$Default\', cs); amora watch/ctl push mode):');
    out(`  ${exportLine({ AMORA_EVENTHUB_CONNECTION_STRING: hub.eventHub.connectionString })}`);
    if (hub.eventHub.tlsPort !== undefined) {
      out(`  (over TLS: Endpoint=sb://${hub.host}:${hub.eventHub.tlsPort}/ without UseDevelopmentEmulator=true, trusting the CA, e.g. NODE_EXTRA_CA_CERTS)`);
    }
  }
  const devices = hub.registry.listDevices();
  for (const device of devices) {
    out();
    out(`Device ${device.deviceId} (over WebSocket, transport mqtt-ws: the same with HostName=${hub.host}:${hub.wsPort}):`);
    out(`  ${exportLine({ AMORA_DEVICE_CONNECTION_STRING: hub.deviceConnectionString(device.deviceId) })}`);
  }
  if (devices.length === 0) out('\nNo devices yet: pass --device <id>, or create them with the azure-iothub Registry (create, list, createQuery).');
  out();
}
