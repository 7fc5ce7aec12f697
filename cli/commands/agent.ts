import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { buildAgent } from '../../core/agent/container.js';
import { loadConfigFile } from '../../core/config/load-file.js';
import { parseConfig } from '../../core/config/parse.js';
import { redactSecrets } from '../../core/config/redact.js';
import { createBuiltinRegistry } from '../builtins.js';
import { createCliLogger } from '../logger.js';
import { onShutdown } from '../shutdown.js';
import { packageVersion } from '../version.js';

interface AgentCliOptions {
  readonly config?: string;
  readonly logLevel: string;
}

/** `amora agent`: run one device agent from a config file (or on embedded defaults). */
export function agentCommand(): Command {
  return new Command('agent')
    .description('run one device agent')
    .addOption(new Option('-c, --config <file>', 'YAML or JSON config (native or AmoraOS config.json layout)').env('AMORA_CONFIG'))
    .addOption(new Option('--log-level <level>', 'trace|debug|info|warn|error').default('info').env('AMORA_LOG_LEVEL'))
    .addHelpText('after', `
Without --config the agent runs as $AMORA_DEVICE_ID (default: the host name) with the virtual
player on mqtt://localhost:1883 (start one with \`amora broker\`). See docs/configuration.md.`)
    .action(async (options: AgentCliOptions) => {
      const logger = createCliLogger(options.logLevel);
      const config = options.config
        ? await loadConfigFile(options.config, process.env)
        : parseConfig(
            {
              device: { id: safeDeviceId(hostname()) },
              player: { kind: 'virtual' },
              transports: [{ kind: 'mqtt', url: 'mqtt://localhost:1883' }],
            },
            { env: process.env },
          );
      logger.info({ config: redactSecrets(config) }, 'starting agent');
      const agent = await buildAgent(config, createBuiltinRegistry(), { logger, version: packageVersion() });
      const controller = new AbortController();
      onShutdown(async () => {
        logger.info('stopping agent');
        controller.abort();
        await agent.stop();
      });
      await agent.start(controller.signal);
      logger.info({ device: config.device.id }, 'agent running');
    });
}

function safeDeviceId(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '-') || 'amora-device';
}
