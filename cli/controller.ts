import {
  buildController,
  loadConfigFile,
  parseConfig,
  PluginLoadError,
  redactString,
  type AgentConfig,
  type ControllerTransport,
} from '../core/node.js';
import { createBuiltinRegistry } from './builtins.js';
import { locatePluginError } from './config-errors.js';
import { awaitOnline } from './connect.js';
import type { ControllerCliOptions } from './controller-options.js';
import { CliError } from './exit-codes.js';
import { createCliLogger } from './logger.js';

/** A connected controller and where it is connected to, credentials masked, for messages. */
export interface OpenController {
  readonly controller: ControllerTransport;
  readonly where: string;
}

/**
 * Opens a controller either from an agent config (same transports, other end) or, by default,
 * from a broker URL, and waits until it is connected. Stops it again when it cannot connect, so a
 * failed `ctl` exits instead of retrying in the background.
 */
export async function openController(options: ControllerCliOptions): Promise<OpenController> {
  // ctl and watch say in words what went wrong with the connection; the log is for debugging.
  const logger = createCliLogger(process.env.AMORA_LOG_LEVEL ?? 'error');
  const index = options.config ? (options.transport ?? 0) : 0;
  const config = options.config ? await loadConfigFile(options.config, process.env) : urlConfig(options);
  const entry = withEventHub(config.transports[index], options);
  if (!entry) throw new CliError(`--transport ${index}: the config has ${config.transports.length} transport(s)`);
  if (entry !== config.transports[index]) config.transports[index] = entry;
  const where = typeof entry.url === 'string' ? redactString(entry.url) : `${entry.kind} transport #${index}`;
  const controller = await buildController(config, createBuiltinRegistry(), { logger, transportIndex: index }).catch((error: unknown) => {
    if (options.config) throw locatePluginError(error, config, options.config, `transports[${index}]`);
    if (error instanceof PluginLoadError) throw new CliError(`--url ${where}${options.prefix ? ` --prefix ${options.prefix}` : ''}: ${error.message}`);
    throw error;
  });
  await controller.start(new AbortController().signal);
  await awaitOnline(controller.status$, where, options.connectTimeout).catch(async (error: unknown) => {
    await controller.stop();
    throw error;
  });
  return { controller, where };
}

/** A one-transport config for `--url` (and `--prefix`). */
function urlConfig(options: ControllerCliOptions): AgentConfig {
  const transport: Record<string, unknown> = { kind: 'mqtt', url: options.url };
  if (options.prefix) transport.topicPrefix = options.prefix;
  return parseConfig({ device: { id: 'amora-cli' }, transports: [transport] }, { env: process.env });
}

/**
 * The transport entry with `--eventhub` (or AMORA_EVENTHUB_CONNECTION_STRING) as its
 * `eventHubConnectionString`, for azure-iot-hub entries that name none; other kinds ignore the
 * environment variable, and refuse the option given on the command line.
 */
function withEventHub<T extends { readonly kind: string; readonly [key: string]: unknown }>(entry: T | undefined, options: ControllerCliOptions): T | undefined {
  if (!entry || !options.eventhub) return entry;
  if (entry.kind !== 'azure-iot-hub') {
    if (process.env.AMORA_EVENTHUB_CONNECTION_STRING === options.eventhub) return entry;
    throw new CliError(`--eventhub needs an azure-iot-hub transport (this one is ${entry.kind})`);
  }
  return entry['eventHubConnectionString'] ? entry : { ...entry, eventHubConnectionString: options.eventhub };
}
