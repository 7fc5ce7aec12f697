import { Command, Option } from 'commander';
import { TimeoutError } from '../../core/errors.js';
import { CONTROLLER_OPTION_HELP, openController, type ControllerCliOptions } from '../controller.js';
import { CliError, EXIT } from '../exit-codes.js';
import { parseParams } from '../params.js';

interface CtlOptions extends ControllerCliOptions {
  readonly timeout: string;
  readonly id?: string;
  readonly json?: boolean;
}

/** `amora ctl DEVICE COMMAND [key=value ...]`: send one command and print the answer. */
export function ctlCommand(): Command {
  return new Command('ctl')
    .description('send a command to a device and print its response')
    .argument('<device>', 'device id, e.g. player-001')
    .argument('<command>', 'command name, e.g. play, setVolume')
    .argument('[params...]', 'parameters as key=value (values parse as JSON when they can: volume=40)')
    .option('--timeout <ms>', 'ms to wait for the response', '10000')
    .option('--id <commandId>', 'command_id to use (a repeat within the dedupe window returns the first answer)')
    .option('--json', 'print the raw response JSON')
    .addOption(new Option('--url <url>', CONTROLLER_OPTION_HELP.url).default('mqtt://localhost:1883').env('AMORA_MQTT_URL'))
    .option('--prefix <prefix>', CONTROLLER_OPTION_HELP.prefix)
    .addOption(new Option('-c, --config <file>', CONTROLLER_OPTION_HELP.config).env('AMORA_CONFIG'))
    .option('--transport <n>', CONTROLLER_OPTION_HELP.transport)
    .option('--connect-timeout <ms>', CONTROLLER_OPTION_HELP.connectTimeout, '5000')
    .addHelpText('after', `
Examples:
  amora ctl player-001 play
  amora ctl player-001 setVolume volume=40
  amora ctl player-001 loadPlaylist "playlist=Morning Jazz" --json

Exit status: 0 success, 1 error response, 2 usage, 3 unreachable, 4 timeout.`)
    .action(async (device: string, command: string, pairs: string[], options: CtlOptions) => {
      const params = parseParams(pairs);
      const { controller } = await openController(options);
      try {
        const response = await controller
          .invoke(device, command, params, {
            timeoutMs: Number(options.timeout),
            ...(options.id ? { commandId: options.id } : {}),
          })
          .catch((error: unknown) => {
            if (error instanceof TimeoutError) {
              throw new CliError(`no response from ${device} to ${command} within ${options.timeout} ms (is the device online?)`, EXIT.timeout);
            }
            throw error;
          });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(response)}\n`);
        } else if (response.success) {
          process.stdout.write(`ok ${command} (${response.command_id})\n`);
          if (response.result !== undefined) process.stdout.write(`${JSON.stringify(response.result, null, 2)}\n`);
        } else {
          process.stderr.write(`error ${response.error.code}: ${response.error.message}\n`);
          if (response.error.details !== undefined) process.stderr.write(`${JSON.stringify(response.error.details)}\n`);
        }
        process.exitCode = response.success ? EXIT.ok : EXIT.commandFailed;
      } finally {
        await controller.stop();
      }
    });
}
