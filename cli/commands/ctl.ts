import { Command, Option } from 'commander';
import { TimeoutError } from '../../core/basics.js';
import type { CommandResponse, PresenceState } from '../../core/index.js';
import { addControllerOptions, type ControllerCliOptions } from '../controller-options.js';
import { CliError, EXIT } from '../exit-codes.js';
import { milliseconds } from '../option-values.js';
import { parseParams } from '../params.js';

interface CtlOptions extends ControllerCliOptions {
  readonly timeout: number;
  readonly id?: string;
  readonly json?: boolean;
}

/** `amora ctl DEVICE COMMAND [key=value ...]`: send one command and print the answer. */
export function ctlCommand(): Command {
  const command = new Command('ctl')
    .description('send a command to a device and print its response')
    .argument('<device>', 'device id, e.g. player-001')
    .argument('<command>', 'command name, e.g. play, setVolume')
    .argument('[params...]', 'parameters as key=value (values parse as JSON when they can: volume=40)')
    .addOption(new Option('--timeout <ms>', 'ms to wait for the response').default(10_000).argParser(milliseconds))
    .option('--id <commandId>', 'command_id to use (a repeat within the dedupe window returns the first answer)')
    .option('--json', 'print the raw response JSON');
  return addControllerOptions(command)
    .addHelpText('after', `
Examples:
  amora ctl player-001 play
  amora ctl player-001 setVolume volume=40
  amora ctl player-001 loadPlaylist "playlist=Morning Jazz" --json

Exit status: 0 success, 1 error response, 2 usage, 3 unreachable, 4 timeout.`)
    .action(async (device: string, name: string, pairs: string[], options: CtlOptions) => {
      // Bad parameters are the user's to fix before anything connects.
      const params = parseParams(pairs);
      const { openController } = await import('../controller.js');
      const { controller, where } = await openController(options);
      // Known by the time a timeout fires, to say why nothing answered.
      let presence: PresenceState = 'unknown';
      const presenceWatch = controller.connection$(device).subscribe((state) => (presence = state));
      try {
        const response = await controller
          .invoke(device, name, params, { timeoutMs: options.timeout, ...(options.id ? { commandId: options.id } : {}) })
          .catch((error: unknown) => {
            if (error instanceof TimeoutError) throw new CliError(noAnswer(device, name, options.timeout, presence, where), EXIT.timeout);
            throw error;
          });
        process.exitCode = response.success ? EXIT.ok : EXIT.commandFailed;
        printResponse(response, options.json === true);
      } finally {
        presenceWatch.unsubscribe();
        await controller.stop();
      }
    });
}

function noAnswer(device: string, command: string, timeoutMs: number, presence: PresenceState, where: string): string {
  const what = `no response from ${device} to ${command} within ${timeoutMs} ms`;
  if (presence === 'online') return `${what} (${device} is online; a longer --timeout may help)`;
  if (presence === 'offline') return `${what}: ${device} is offline`;
  return `${what}: no device ${device} has announced itself on ${where}`;
}

/** The response on stdout (or, for an error answer without --json, on stderr, as `error CODE: message`). */
function printResponse(response: CommandResponse, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(response)}\n`);
  } else if (response.success) {
    process.stdout.write(`ok ${response.command} (${response.command_id})\n`);
    if (response.result !== undefined) process.stdout.write(`${JSON.stringify(response.result, null, 2)}\n`);
  } else {
    process.stderr.write(`error ${response.error.code}: ${response.error.message}\n`);
    if (response.error.details !== undefined) process.stderr.write(`${JSON.stringify(response.error.details)}\n`);
  }
}
