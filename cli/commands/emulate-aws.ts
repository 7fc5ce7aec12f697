import { Command, InvalidArgumentError } from 'commander';
import { startAwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import { createCliLogger } from '../logger.js';
import { listenError } from '../listen-error.js';
import { onShutdown } from '../shutdown.js';

interface EmulateAwsOptions {
  readonly bind: string;
  readonly hostName: string;
  readonly port: number;
  readonly httpsPort: number;
  readonly thing: readonly string[];
  readonly certDir: string;
}

/**
 * `amora emulate aws`: a local AWS IoT Core that the real SDKs accept (MQTT over mutual TLS with
 * the Device Shadow service, data-plane REST over HTTPS). Creates the CA, the server certificate
 * and one device certificate per `--thing`, and prints the paths and the endpoint to configure.
 */
export function emulateAwsCommand(): Command {
  return new Command('aws')
    .description('run a local AWS IoT Core emulator (MQTT over mutual TLS with device shadows, data-plane HTTPS)')
    .option('--bind <address>', 'address to listen on (0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--host-name <name>', 'endpoint host name devices use (the server certificate is issued for it)', 'localhost')
    .option('-p, --port <n>', 'MQTT over mutual TLS port (0 = any free port)', port, 8883)
    .option('--https-port <n>', 'data-plane REST port (0 = any free port)', port, 8443)
    .option('-t, --thing <name>', 'register a thing and issue its device certificate (repeatable)', collect, [] as string[])
    .option('--cert-dir <dir>', 'where the CA, server and device certificates are kept across restarts', '.amora/aws-iot-emulator')
    .action(async (options: EmulateAwsOptions) => {
      const hostNames = [...new Set([options.hostName, 'localhost', '127.0.0.1', '::1'])];
      const emulator = await startAwsIotEmulator({
        host: options.bind,
        mqttPort: options.port,
        httpsPort: options.httpsPort,
        certDir: options.certDir,
        things: options.thing,
        hostNames,
        logger: createCliLogger(),
      }).catch((error: unknown) => {
        throw listenError(error, options.bind);
      });
      out('AWS IoT Core emulator');
      out(`  endpoint (IOT_ENDPOINT):       ${emulator.endpoint}`);
      out(`  MQTT over mutual TLS:          ${emulator.endpoint}:${emulator.mqttPort}  (IOT_PORT=${emulator.mqttPort})`);
      out(`  data-plane REST (controllers): ${emulator.httpsEndpoint}`);
      out(`  root CA (IOT_ROOT_CA_PATH):    ${emulator.caPath}`);
      for (const thingName of emulator.thingNames()) {
        const credentials = await emulator.createThing(thingName);
        out();
        out(`Thing ${thingName}:`);
        out(`  IOT_THING_NAME=${thingName}`);
        out(`  IOT_CERT_PATH=${credentials.certPath}`);
        out(`  IOT_KEY_PATH=${credentials.keyPath}`);
      }
      if (emulator.thingNames().length === 0) out('\nNo things yet: pass --thing <name> to issue a device certificate.');
      out();
      out('Controllers sign REST calls with any credentials (e.g. AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator).');
      onShutdown(() => emulator.close());
    });
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
