import { readFile } from 'node:fs/promises';
import { loadConfigFile } from '../../core/node.js';
import type { MigrateStatusCliOptions } from '../commands/migrate.js';
import { CliError, EXIT } from '../exit-codes.js';
import { createCliLogger } from '../logger.js';
import { onShutdown } from '../shutdown.js';
import { deviceFilter } from './device-filter.js';
import type { Cloud } from './fleet.js';
import { FleetStatus, renderStatus } from './status.js';

/** How often the settle time is re-checked when nothing else happens. */
const TICK_MS = 1_000;

export async function runStatus(options: MigrateStatusCliOptions & { readonly to: Cloud }): Promise<void> {
  if (!options.config) throw new CliError('status needs --config (or AMORA_CONFIG): the dual-home config, with both clouds\' entries');
  if (options.from === options.to) throw new CliError(`--from and --to are both ${options.from}`);
  const config = await loadConfigFile(options.config, process.env);
  // With a state file, the devices it lists are the fleet: others on either side are not followed.
  const provisioned = options.state ? await stateDevices(options.state) : undefined;
  const selected = deviceFilter(options.devices);
  const status = new FleetStatus({
    config,
    from: options.from,
    to: options.to,
    include: provisioned ? (id) => selected(id) && provisioned.includes(id) : selected,
    devices: (provisioned ?? []).filter(selected),
    settleMs: options.settle,
    connectTimeoutMs: options.connectTimeout,
    logger: createCliLogger(process.env.AMORA_LOG_LEVEL ?? 'error'),
  });
  // A side that cannot be reached ends the command; the other one must not keep it alive.
  await status.start().catch(async (error: unknown) => {
    await status.stop();
    throw error;
  });
  const ticker = setInterval(() => status.tick(), TICK_MS);
  const print = (): void => {
    const statuses = status.statuses();
    process.stdout.write(options.json ? `${JSON.stringify({ devices: statuses, moved: statuses.filter((s) => s.moved).length, total: statuses.length })}\n` : renderStatus(statuses, options.from, options.to));
  };

  if (options.watch) {
    let last = '';
    status.onChange(() => {
      const text = JSON.stringify(status.statuses().map((s) => [s.id, s.source.presence, s.target.presence, s.inSync, s.moved]));
      if (text === last) return;
      last = text;
      if (!options.json && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
      print();
    });
    onShutdown(async () => {
      clearInterval(ticker);
      await status.stop();
    });
    return;
  }

  const waitMs = options.wait ?? options.settle + 30_000;
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, waitMs);
    status.onChange(() => {
      if (!status.tracker.allMoved()) return;
      clearTimeout(deadline);
      resolve();
    });
  });
  clearInterval(ticker);
  print();
  if (!status.tracker.allMoved()) process.exitCode = EXIT.commandFailed;
  await status.stop();
}

/** The device ids an apply state file lists. */
async function stateDevices(path: string): Promise<string[]> {
  try {
    const document = JSON.parse(await readFile(path, 'utf8')) as { devices?: Record<string, unknown> };
    return Object.keys(document.devices ?? {});
  } catch (error) {
    throw new CliError(`--state ${path}: ${(error as Error).message}`, EXIT.usage);
  }
}
