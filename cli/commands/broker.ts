import { Command } from 'commander';
import { startEmbeddedBroker } from '../../adapters/mqtt/node.js';
import { createCliLogger } from '../logger.js';
import { listenError } from '../listen-error.js';
import { onShutdown } from '../shutdown.js';

interface BrokerOptions {
  readonly port: string;
  readonly wsPort?: string;
  readonly host: string;
}

/** `amora broker`: the embedded aedes broker, for development and demos (not a fleet's broker). */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run the embedded MQTT broker (aedes) on TCP and optionally WebSocket')
    .option('-p, --port <n>', 'TCP port', '1883')
    .option('--ws-port <n>', 'WebSocket port (off unless given)')
    .option('--host <address>', 'address to bind (0.0.0.0 to accept other machines)', '127.0.0.1')
    .action(async (options: BrokerOptions) => {
      const logger = createCliLogger();
      const broker = await startEmbeddedBroker({
        host: options.host,
        port: Number(options.port),
        ...(options.wsPort ? { wsPort: Number(options.wsPort) } : {}),
        logger,
      }).catch((error: unknown) => {
        throw listenError(error, options.host);
      });
      process.stdout.write(`broker listening on mqtt://${options.host}:${broker.port}\n`);
      if (broker.wsPort !== undefined) process.stdout.write(`websocket on ws://${options.host}:${broker.wsPort}\n`);
      onShutdown(() => broker.close());
    });
}
