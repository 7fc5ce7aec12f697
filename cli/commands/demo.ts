import { Command, Option } from 'commander';
import { integerIn, portNumber } from '../option-values.js';

interface DemoOptions {
  readonly port: number;
  readonly wsPort: number;
  readonly devices: number;
}

/** `amora demo` (= `npm start`): embedded broker plus virtual-player agents, nothing to install. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('embedded broker + virtual-player agents, to watch and control right away')
    .addOption(new Option('-p, --port <n>', 'broker TCP port (0 = any free port)').default(1883).argParser(portNumber))
    .addOption(new Option('--ws-port <n>', 'broker WebSocket port (0 = off)').default(9001).argParser(portNumber))
    .addOption(new Option('-n, --devices <n>', 'how many agents').default(3).argParser(integerIn(1, 100, 'a number of devices')))
    .addHelpText('after', '\nCtrl-C (SIGINT) or SIGTERM: every device announces offline, then the broker closes.')
    .action(async (options: DemoOptions) => {
      const { runDemo } = await import('../actions/demo.js');
      await runDemo(options);
    });
}
