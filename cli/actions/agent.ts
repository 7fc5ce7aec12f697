import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  buildAgent,
  checkOptionFiles,
  FileDeviceStorage,
  isAmoraError,
  loadConfigFile,
  parseConfig,
  redactSecrets,
  toErrorObject,
  type Agent,
  type LoadedConfig,
  type Logger,
} from '../../core/node.js';
import { instanceIds } from '../../core/internal.js';
import { createBuiltinRegistry } from '../builtins.js';
import { flushCompileCache } from '../compile-cache.js';
import { locatePluginError } from '../config-errors.js';
import { CliError, EXIT } from '../exit-codes.js';
import { logHealthChanges, whenAllCredentialsRefused } from '../health-log.js';
import { createCliLogger, logDestination, resolveLogFormat } from '../logger.js';
import { runRebootHook } from '../reboot-hook.js';
import { onShutdown } from '../shutdown.js';
import { SystemdNotifier } from '../systemd/systemd-notify.js';
import { packageVersion } from '../version.js';
import { resolveStateDir } from '../state-dir.js';

export interface AgentRunOptions {
  readonly config?: string;
  /** From --log-level or AMORA_LOG_LEVEL; the config's `log.level` otherwise. */
  readonly logLevel?: string;
  /** From --metrics-port/--metrics-host; the config's `metrics` section otherwise. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** From --log-format or AMORA_LOG_FORMAT; the config's `log.format` otherwise. */
  readonly logFormat?: string;
  /** From --state-dir / AMORA_STATE_DIR, or false from --no-state-dir (see resolveStateDir). */
  readonly stateDir?: string | false;
}

/**
 * Builds and starts the agent, and stops it gracefully on SIGINT/SIGTERM. `reboot` runs
 * `system.reboot.command` once the agent is offline and exits (the device is going down); if
 * the hook fails the agent starts again, so the device stays reachable. In dev_mode without a
 * hook, `reboot` builds and starts a fresh agent in this process, which reports a new boot time.
 */
export async function runAgent(options: AgentRunOptions): Promise<void> {
  const config = options.config
    ? await loadConfigFile(options.config, process.env)
    : parseConfig(
        { device: { id: safeDeviceId(hostname()) }, player: { kind: 'virtual' }, transports: [{ kind: 'mqtt', url: 'mqtt://localhost:1883' }] },
        { env: process.env },
      );
  const logger = createCliLogger(options.logLevel ?? config.log?.level ?? 'info', logDestination(resolveLogFormat(options.logFormat ?? config.log?.format)));
  logger.info({ config: redactSecrets(config) }, 'starting agent');
  if (config.ignoredKeys) logger.warn({ keys: config.ignoredKeys }, `config keys ignored (nothing here uses them): ${config.ignoredKeys.join(', ')}`);
  const stateDir = resolveStateDir({ flag: options.stateDir, config, ...(options.config === undefined ? {} : { configPath: options.config }), env: process.env });
  const storage = stateDir === undefined ? undefined : new FileDeviceStorage(stateDir, { logger: logger.child({ stateDir }) });
  logger.info({ stateDir: stateDir ?? false }, stateDir ? 'keeping the outbox and state version in the state directory' : 'no state directory: the outbox is kept in memory only');
  const registry = createBuiltinRegistry();
  const systemd = new SystemdNotifier(process.env, logger);
  let current: { agent: Agent; stop: () => Promise<void> } | undefined;
  // Content sync and the metrics endpoint (prom-client) load only when the config asks for them.
  const contentSync = config.content?.source ? (await import('../../content/index.js')).createContentSync : undefined;

  const launch = async (first: boolean): Promise<void> => {
    const agent = await buildAgent(config, registry, {
      logger,
      version: packageVersion(),
      ...(storage ? { storage } : {}),
      ...(contentSync ? { contentSync } : {}),
      ...rebootOption(config, logger, () => launch(false), () => storage?.close()),
    }).catch((error: unknown) => {
      throw locatePluginError(error, config, options.config);
    });
    if (first) {
      // A certificate or key file named in the config must be there now, not only at the next connect.
      await checkOptionFiles(config, registry).catch((error: unknown) => {
        throw options.config && isAmoraError(error) ? new CliError(`${resolve(options.config)}: ${error.message}`, EXIT.usage) : error;
      });
    }
    const abort = new AbortController();
    const health = logHealthChanges(agent.health$, logger);
    const metricsPort = options.metricsPort ?? config.metrics?.port;
    const endpoint =
      metricsPort === undefined
        ? undefined
        : await (await import('../metrics/agent-endpoint.js')).startAgentEndpoint(agent, { port: metricsPort, host: options.metricsHost ?? config.metrics?.host ?? '127.0.0.1', transportIds: instanceIds(config.transports), version: packageVersion(), logger });
    const stop = async () => {
      endpoint?.markStopping();
      await systemd.stopping();
      abort.abort();
      await agent.stop();
      storage?.close();
      health.unsubscribe();
      await endpoint?.close();
    };
    current = { agent, stop };
    whenAllCredentialsRefused(agent.health$, instanceIds(config.transports), () => {
      logger.error('every transport refused the credentials: stopping (check the password, key or certificate)');
      void stop().finally(() => process.exit(EXIT.credentialsRefused));
    });
    await agent.start(abort.signal);
    logger.info({ device: config.device.id }, 'agent running');
    if (first) {
      await systemd.ready(`running ${config.device.id}`);
      flushCompileCache();
    }
  };

  onShutdown(async () => {
    logger.info('stopping agent');
    await current?.stop();
  });
  await launch(true);
}

/** What `reboot` does here: the configured hook, a restart in dev_mode, or nothing (`unsupported`). */
function rebootOption(config: LoadedConfig, logger: Logger, relaunch: () => Promise<void>, beforeExit: () => void): { reboot?: () => Promise<void> } {
  const command = config.system?.reboot?.command;
  const restart = async (why: string): Promise<void> => {
    logger.warn(why);
    await relaunch().catch((error: unknown) => logger.error({ err: toErrorObject(error) }, 'agent restart failed'));
  };
  if (command) {
    return {
      reboot: async () => {
        const code = await runRebootHook(command, logger).catch((error: unknown) => {
          logger.error({ err: toErrorObject(error) }, 'reboot hook could not run');
          return -1;
        });
        if (code === 0) {
          logger.info({ command }, 'reboot hook ran; exiting');
          beforeExit();
          process.exit(0);
        }
        await restart(`reboot hook exited with ${code}: starting the agent again`);
      },
    };
  }
  if (config.dev_mode) return { reboot: () => restart('dev_mode: simulating a reboot by restarting the agent in-process') };
  return {};
}

function safeDeviceId(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '-') || 'amora-device';
}
