import { Command, Option } from 'commander';
import { portNumber } from '../option-values.js';
import type { BrokerRunOptions } from '../actions/broker.js';

/** `amora broker`: the embedded aedes broker, for development and demos (not a fleet's broker). */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run the embedded MQTT broker (aedes) on TCP and optionally WebSocket and TLS')
    .addOption(new Option('-p, --port <n>', 'TCP port (0 = any free port)').default(1883).argParser(portNumber))
    .addOption(new Option('--ws-port <n>', 'WebSocket port (off unless given; 0 = any free port)').argParser(portNumber))
    .option('--host <address>', 'address to bind (0.0.0.0 to accept other machines)', '127.0.0.1')
    .option('--password-file <file>', 'Mosquitto password file (mosquitto_passwd output); reloaded on SIGHUP')
    .option('--acl-file <file>', 'Mosquitto ACL file; reloaded on SIGHUP')
    .addOption(new Option('--jwt-secret <secret>', 'HS256 secret of JWT users (their MQTT password is the token)').env('AMORA_BROKER_JWT_SECRET'))
    .option('--jwks <file|url>', 'JWKS file or URL with the RS256/ES256 keys of JWT users (e.g. an Azure AD B2C policy)')
    .option('--jwt-issuer <iss>', 'required issuer (iss) of JWTs')
    .option('--jwt-audience <aud>', 'required audience (aud) of JWTs')
    .option('--jwt-devices-claim <name>', 'claim listing the devices a JWT user may read and command', 'amora_devices')
    .option('--topic-prefix <prefix>', 'topic prefix of the default device and user rules', 'amora')
    .addOption(new Option('--tls-port <n>', 'TLS port (with --tls-cert/--tls-key; 0 = any free port)').default(8883).argParser(portNumber))
    .option('--tls-cert <file>', 'PEM server certificate (chain) for the TLS listener')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-ca <file>', 'PEM CA that signs device certificates (devices are named by their CN)')
    .option('--require-client-cert', 'refuse TLS clients without a certificate from --tls-ca', false)
    .option('--insecure', 'allow listening on a non-loopback address without authentication', false)
    .action(async (options: BrokerRunOptions) => {
      const { runBroker } = await import('../actions/broker.js');
      await runBroker(options);
    });
}
