import { Command } from 'commander';
import { emulateAwsCommand } from './emulate-aws.js';
import { emulateAzureCommand } from './emulate-azure.js';

/** `amora emulate azure|aws`: local cloud emulators the real vendor SDKs connect to. */
export function emulateCommand(): Command {
  return new Command('emulate')
    .description('run a local emulator of a cloud IoT service (TLS, real SDKs accepted)')
    .addCommand(emulateAzureCommand())
    .addCommand(emulateAwsCommand());
}
