import { join } from 'node:path';
import { Command } from 'commander';
import { isValidThingName } from '../../adapters/aws-iot/shadow-topics.js';
import type { AwsIotEmulator } from '../../adapters/aws-iot/emulator/emulator.js';
import type { ThingCredentials } from '../../adapters/aws-iot/emulator/thing-registry.js';
import { createCliLogger } from '../logger.js';
import { emulatorCommand, exportLine, out, repeatable, serveUntilSignal, startListening, type ListenOptions } from './emulate-support.js';

interface EmulateAwsOptions extends ListenOptions {
  readonly thing?: readonly string[];
  readonly certDir: string;
}

/**
 * `amora emulate aws`: a local AWS IoT Core that the real SDKs accept (MQTT over mutual TLS with
 * the Device Shadow service and policy checks, data-plane and control-plane REST over HTTPS).
 * Creates the CA, the server certificate and one device certificate per `--thing`, and prints the
 * endpoint, the access key REST clients sign with and the paths to configure (never a device key).
 */
export function emulateAwsCommand(): Command {
  return emulatorCommand('aws', 'run a local AWS IoT Core emulator (MQTT over mutual TLS with device shadows, data-plane and control-plane HTTPS)', {
    hostName: 'endpoint host name devices use; the server certificate covers it, localhost, 127.0.0.1 and ::1',
    port: 'MQTT over mutual TLS port',
    httpsPort: 'REST port (data plane and control plane)',
  })
    .option('-t, --thing <name>', 'register a thing and issue its device certificate (repeatable; kept if already issued)', repeatable(isValidThingName, "a thing name (1-128 letters, digits, ':', '_', '-')"))
    .option('--cert-dir <dir>', 'where the CA, server and device certificates are kept across restarts', join('.amora', 'aws-iot-emulator'))
    .action(async (options: EmulateAwsOptions) => {
      const { startAwsIotEmulator } = await import('../../adapters/aws-iot/emulator/emulator.js');
      const emulator = await startListening(options, () =>
        startAwsIotEmulator({
          host: options.bind,
          mqttPort: options.port,
          httpsPort: options.httpsPort,
          certDir: options.certDir,
          things: options.thing ?? [],
          hostNames: [...new Set([options.hostName, 'localhost', '127.0.0.1', '::1'])],
          logger: createCliLogger(),
        }),
      );
      // createThing returns the certificate a thing already has: this only reads the paths.
      const things = await Promise.all(emulator.thingNames().map((thingName) => emulator.createThing(thingName)));
      printSummary(emulator, things);
      serveUntilSignal(emulator);
    });
}

/** Addresses, then the ANC guide's IOT_* variables (what examples/aws/agent.yaml reads) as `export` lines. */
function printSummary(emulator: AwsIotEmulator, things: readonly ThingCredentials[]): void {
  out('AWS IoT Core emulator');
  out(`  MQTT over mutual TLS:           ${emulator.endpoint}:${emulator.mqttPort}`);
  out(`  REST, data and control plane:   ${emulator.httpsEndpoint}`);
  out(`  root CA to trust:               ${emulator.caPath}`);
  out();
  out('Devices and controllers:');
  out(`  ${exportLine({ IOT_ENDPOINT: emulator.endpoint, IOT_PORT: emulator.mqttPort, IOT_ROOT_CA_PATH: emulator.caPath })}`);
  out('Controllers and provisioning (@aws-sdk/client-iot-data-plane, @aws-sdk/client-iot with this endpoint; SigV4 with this key, checked):');
  out(
    `  ${exportLine({
      IOT_HTTPS_ENDPOINT: emulator.httpsEndpoint,
      AWS_ACCESS_KEY_ID: emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.credentials.secretAccessKey,
      AWS_REGION: emulator.region,
    })}`,
  );
  for (const thing of things) {
    out();
    out(`Thing ${thing.thingName}:`);
    out(`  ${exportLine({ IOT_THING_NAME: thing.thingName, IOT_CERT_PATH: thing.certPath, IOT_KEY_PATH: thing.keyPath })}`);
  }
  if (things.length === 0) out('\nNo things yet: pass --thing <name> to issue a device certificate, or provision with @aws-sdk/client-iot.');
  out();
}
