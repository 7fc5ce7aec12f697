import { Command, Option } from 'commander';
import { portNumber } from '../option-values.js';

interface BrokerOptions {
  readonly port: number;
  readonly wsPort?: number;
  readonly host: string;
  readonly metricsPort?: number;
}

/** `amora broker`: the embedded aedes broker, for development and demos (not a fleet's broker). */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run the embedded MQTT broker (aedes) on TCP and optionally WebSocket')
    .addOption(new Option('-p, --port <n>', 'TCP port (0 = any free port)').default(1883).argParser(portNumber))
    .addOption(new Option('--ws-port <n>', 'WebSocket port (off unless given; 0 = any free port)').argParser(portNumber))
    .option('--host <address>', 'address to bind (0.0.0.0 to accept other machines)', '127.0.0.1')
    .addOption(new Option('--metrics-port <n>', 'serve Prometheus /metrics, /healthz and /readyz on this port, on --host (off unless given)').argParser(portNumber))
    .action(async (options: BrokerOptions) => {
      const { runBroker } = await import('../actions/broker.js');
      await runBroker(options);
    });
}
