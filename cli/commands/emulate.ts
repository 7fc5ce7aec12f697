import { Command } from 'commander';

const DESCRIPTION = 'run a local emulator of a cloud IoT service (TLS, real SDKs accepted)';

/**
 * `amora emulate azure|aws`: local cloud emulators the real vendor SDKs connect to. The emulators
 * pull in TLS, certificate and HTTP server code no other command needs, so their subcommands are
 * only loaded when `emulate` is on the command line; otherwise this is a summary for `amora --help`.
 */
export async function emulateCommand(load: boolean): Promise<Command> {
  const command = new Command('emulate').description(DESCRIPTION);
  if (!load) return command;
  const [{ emulateAzureCommand }, { emulateAwsCommand }] = await Promise.all([import('./emulate-azure.js'), import('./emulate-aws.js')]);
  return command.addCommand(emulateAzureCommand()).addCommand(emulateAwsCommand());
}
