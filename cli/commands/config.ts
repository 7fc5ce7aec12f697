import { Command, Option } from 'commander';
import { STARTER_KINDS } from '../config-tools/starters.js';

interface CheckOptions {
  readonly json?: boolean;
}

interface OutputOptions {
  readonly output?: string;
  readonly force?: boolean;
}

/** `amora config check|schema|init`: tools for writing and validating config files. */
export function configCommand(): Command {
  const config = new Command('config').description('check a config file, print its JSON Schema, or write a starter');
  config
    .command('check')
    .description('report every problem in a config file at once (schema, kind options, referenced files, plugins), without connecting')
    .argument('<file>', 'YAML or JSON config (native or AmoraOS config.json layout)')
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nExit status: 0 when the file is good, 2 when it has problems (each printed with its key path).')
    .action(async (file: string, options: CheckOptions) => {
      const { runConfigCheck } = await import('../actions/config.js');
      await runConfigCheck(file, options);
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file (for yaml-language-server / VS Code)')
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .action(async (options: OutputOptions) => {
      const { runConfigSchema } = await import('../actions/config.js');
      await runConfigSchema(options);
    });
  config
    .command('init')
    .description('print (or write) an annotated starter config')
    .addArgument(new Command().createArgument('[kind]', 'which starter').choices(STARTER_KINDS).default('mqtt'))
    .option('-o, --output <file>', 'write it to a file instead of stdout')
    .addOption(new Option('--force', 'overwrite --output if it exists'))
    .action(async (kind: (typeof STARTER_KINDS)[number], options: OutputOptions) => {
      const { runConfigInit } = await import('../actions/config.js');
      await runConfigInit(kind, options);
    });
  return config;
}
