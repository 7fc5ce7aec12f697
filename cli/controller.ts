import { buildController } from '../core/agent/container.js';
import { loadConfigFile } from '../core/config/load-file.js';
import { parseConfig } from '../core/config/parse.js';
import type { AgentConfig } from '../core/config/schema.js';
import type { ControllerTransport } from '../core/transport/controller-transport.js';
import { createBuiltinRegistry } from './builtins.js';
import { awaitOnline } from './connect.js';
import { createCliLogger } from './logger.js';

export interface ControllerCliOptions {
  readonly url: string;
  readonly prefix?: string;
  readonly config?: string;
  readonly transport?: string;
  readonly connectTimeout: string;
}

/** Connection options shared by `ctl` and `watch`. */
export const CONTROLLER_OPTION_HELP = {
  url: 'broker URL (ignored with --config)',
  prefix: 'topic prefix',
  config: 'agent config file: talk to devices over its first transport (or --transport N)',
  transport: 'index of the transport in --config to use',
  connectTimeout: 'ms to wait for the connection',
};

/**
 * Opens a controller either from an agent config (same transports, other end) or, by default,
 * from a broker URL, and waits until it is connected.
 */
export async function openController(options: ControllerCliOptions): Promise<{ controller: ControllerTransport; where: string }> {
  const logger = createCliLogger(process.env.AMORA_LOG_LEVEL ?? 'warn');
  let config: AgentConfig;
  let index = 0;
  if (options.config) {
    config = await loadConfigFile(options.config, process.env);
    index = Number(options.transport ?? 0);
  } else {
    const transport: Record<string, unknown> = { kind: 'mqtt', url: options.url };
    if (options.prefix) transport.topicPrefix = options.prefix;
    config = parseConfig({ device: { id: 'amora-cli' }, transports: [transport] }, { env: process.env });
  }
  const entry = config.transports[index];
  if (!entry) throw new Error(`--transport ${index}: the config has ${config.transports.length} transport(s)`);
  const where = typeof entry.url === 'string' ? entry.url : `${entry.kind} transport #${index}`;
  const controller = await buildController(config, createBuiltinRegistry(), { logger, transportIndex: index });
  await controller.start(new AbortController().signal);
  await awaitOnline(controller.status$, where, Number(options.connectTimeout));
  return { controller, where };
}
