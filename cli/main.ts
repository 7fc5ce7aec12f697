#!/usr/bin/env node
import { Command } from 'commander';
import { isAmoraError } from '../core/errors.js';
import { agentCommand } from './commands/agent.js';
import { benchCommand } from './commands/bench.js';
import { brokerCommand } from './commands/broker.js';
import { ctlCommand } from './commands/ctl.js';
import { demoCommand } from './commands/demo.js';
import { emulateCommand } from './commands/emulate.js';
import { watchCommand } from './commands/watch.js';
import { CliError, EXIT } from './exit-codes.js';
import { packageVersion } from './version.js';

const program = new Command('amora')
  .description('Amora Sync: device agents for MQTT, Azure IoT Hub and AWS IoT Core')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)')
  .addCommand(agentCommand())
  .addCommand(brokerCommand())
  .addCommand(ctlCommand())
  .addCommand(watchCommand())
  .addCommand(demoCommand())
  .addCommand(emulateCommand())
  .addCommand(benchCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`amora: ${describe(error)}\n`);
  process.exit(exitCodeOf(error));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause && !error.message.includes(cause.slice(2)) ? cause : ''}`;
  }
  return String(error);
}

function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (isAmoraError(error) && (error.code === 'config_invalid' || error.code === 'plugin_load_failed')) return EXIT.usage;
  if (isAmoraError(error) && error.code === 'timeout') return EXIT.timeout;
  return 1;
}
