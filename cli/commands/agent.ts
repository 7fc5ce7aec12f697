import { Command, Option } from 'commander';
import { LOG_FORMATS, LOG_LEVELS } from '../../core/basics.js';
import { portNumber } from '../option-values.js';

interface AgentCliOptions {
  readonly config?: string;
  readonly logLevel?: string;
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  readonly logFormat?: string;
  readonly stateDir?: string | false;
}

/** `amora agent`: run one device agent from a config file (or on embedded defaults) until a signal. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('run one device agent')
    .addOption(new Option('-c, --config <file>', 'YAML or JSON config (native or AmoraOS config.json layout)').env('AMORA_CONFIG'))
    .addOption(new Option('--log-level <level>', "log level (default: the config's log.level, else info)").choices(LOG_LEVELS).env('AMORA_LOG_LEVEL'))
    .addOption(new Option('--log-format <format>', "json or pretty (default: the config's log.format, else pretty on a terminal, json otherwise)").choices(LOG_FORMATS).env('AMORA_LOG_FORMAT'))
    .addOption(new Option('--metrics-port <n>', "serve /metrics, /healthz and /readyz on this port (default: the config's metrics.port, else off)").argParser(portNumber).env('AMORA_METRICS_PORT'))
    .addOption(new Option('--metrics-host <address>', "address of the metrics endpoint (default: the config's metrics.host, else 127.0.0.1)").env('AMORA_METRICS_HOST'))
    .addOption(
      new Option('--state-dir <dir>', "where the offline outbox and the state version survive restarts (default: the config's stateDir, else per device under $XDG_STATE_HOME/amora-sync or the config's folder)").env(
        'AMORA_STATE_DIR',
      ),
    )
    .addOption(new Option('--no-state-dir', 'keep nothing across restarts (outbox in memory only)'))
    .addHelpText('after', `
Without --config the agent runs as $AMORA_DEVICE_ID (default: the host name) with the virtual
player on mqtt://localhost:1883 (start one with \`amora broker\`). SIGINT or SIGTERM stops it
gracefully: every transport announces offline first. See docs/configuration.md.`)
    .action(async (options: AgentCliOptions) => {
      // Imported on use, so `--help` and the other commands do not load the agent's modules.
      const { runAgent } = await import('../actions/agent.js');
      await runAgent(options);
    });
}
