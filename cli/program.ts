import { Command } from 'commander';
import { agentCommand } from './commands/agent.js';
import { benchCommand } from './commands/bench.js';
import { brokerCommand } from './commands/broker.js';
import { configCommand } from './commands/config.js';
import { dashboardCommand } from './commands/dashboard.js';
import { ctlCommand } from './commands/ctl.js';
import { demoCommand } from './commands/demo.js';
import { emulateCommand } from './commands/emulate.js';
import { migrateCommand } from './commands/migrate.js';
import { watchCommand } from './commands/watch.js';
import { packageVersion } from './version.js';

/**
 * The `amora` command tree. Commands import their heavy modules when they run, so `--help` and
 * usage errors answer at once. `args` are the user's arguments (without node and the script).
 */
export async function createProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('amora')
    .description('Amora Sync: device agents for MQTT, Azure IoT Hub and AWS IoT Core')
    .version(packageVersion())
    // A command's options belong to it alone (`bench --json FILE` and `bench fleet --json` differ).
    .enablePositionalOptions()
    .addCommand(agentCommand())
    .addCommand(brokerCommand())
    .addCommand(ctlCommand())
    .addCommand(watchCommand())
    .addCommand(demoCommand())
    .addCommand(configCommand())
    .addCommand(dashboardCommand())
    .addCommand(await emulateCommand(args.includes('emulate')))
    .addCommand(migrateCommand())
    .addCommand(benchCommand());
  configureTree(program);
  return program;
}

/**
 * Settings `addCommand` does not pass down: usage errors throw (the caller maps them to exit
 * status 2) instead of exiting with 1, and every command points at its help after one.
 */
function configureTree(command: Command): void {
  command.exitOverride().showHelpAfterError(`(run "${fullName(command)} --help" for usage)`);
  for (const sub of command.commands) configureTree(sub);
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}
