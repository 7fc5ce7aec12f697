import { Command, Option } from 'commander';
import { portNumber } from '../option-values.js';

interface DashboardOptions {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly username?: string;
}

/** `amora dashboard`: serves the web dashboard, which talks to the broker over MQTT on WebSocket itself. */
export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('serve the web dashboard (fleet table, device controls, live chart) for a broker')
    .addOption(new Option('--url <ws-url>', "the broker's MQTT-over-WebSocket URL, as the browser reaches it").default('ws://localhost:9001').env('AMORA_DASHBOARD_URL'))
    .addOption(new Option('-p, --port <n>', 'HTTP port of the dashboard (0 = any free port)').default(8080).argParser(portNumber))
    .option('--host <address>', 'address to bind (0.0.0.0 to open it to other machines)', '127.0.0.1')
    .option('--username <name>', 'username to fill in on the login form (the password is typed in the browser)')
    .addHelpText('after', `
The page connects from the browser, so --url must be reachable from it (\`amora demo\` and
\`amora broker --ws-port 9001\` serve ws://localhost:9001). A broker that requires a login gets
the username and password (or a JWT as the password) typed on the page; nothing is sent to this
server. See docs/operations.md.`)
    .action(async (options: DashboardOptions) => {
      const { runDashboard } = await import('../actions/dashboard.js');
      await runDashboard(options);
    });
}
