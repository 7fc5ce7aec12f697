import { Option, type Command } from 'commander';
import { integerIn, milliseconds } from './option-values.js';

/** Connection options shared by `ctl` and `watch`, as commander parses them. */
export interface ControllerCliOptions {
  readonly url: string;
  readonly prefix?: string;
  readonly config?: string;
  readonly transport?: number;
  readonly connectTimeout: number;
  /** An Event Hub connection string for an azure-iot-hub transport: push instead of polling. */
  readonly eventhub?: string;
}

/** Adds the options `openController` reads, the same for every command that talks to devices. */
export function addControllerOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'broker URL (ignored with --config)').default('mqtt://localhost:1883').env('AMORA_MQTT_URL'))
    .option('--prefix <prefix>', 'topic prefix (default: amora)')
    .addOption(new Option('-c, --config <file>', 'agent config file: talk to devices over its first transport (or --transport N)').env('AMORA_CONFIG'))
    .addOption(new Option('--transport <n>', 'index of the transport in --config to use').argParser(integerIn(0, 99, 'a transport index')))
    .addOption(new Option('--connect-timeout <ms>', 'ms to wait for the connection').default(5000).argParser(milliseconds))
    .addOption(
      new Option('--eventhub <connection-string>', "with an azure-iot-hub transport in --config: the hub's Event Hub-compatible endpoint; state, connection and device list are pushed instead of polled").env(
        'AMORA_EVENTHUB_CONNECTION_STRING',
      ),
    );
}
