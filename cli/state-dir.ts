import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../core/index.js';

export interface StateDirSources {
  /** `--state-dir <dir>` (a path) or `--no-state-dir` (false). */
  readonly flag?: string | false;
  readonly config: LoadedConfig;
  /** The config file given to the agent, if any. */
  readonly configPath?: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Where `amora agent` keeps what must survive a restart (see docs/configuration.md), or undefined
 * when told to keep nothing. In order: `--state-dir` / `--no-state-dir`; the config's `stateDir`
 * (relative to the config file; `false` keeps nothing); `$XDG_STATE_HOME/amora-sync/<device id>`;
 * `state/<device id>` beside the config file; `~/.local/state/amora-sync/<device id>` (the XDG
 * default). Per device, so two agents on one host never share an outbox.
 */
export function resolveStateDir({ flag, config, configPath, env }: StateDirSources): string | undefined {
  if (flag === false || config.stateDir === false) return undefined;
  if (typeof flag === 'string') return resolve(flag);
  if (typeof config.stateDir === 'string') return resolve(config.baseDir ?? process.cwd(), config.stateDir);
  const device = config.device.id;
  if (env['XDG_STATE_HOME']) return join(env['XDG_STATE_HOME'], 'amora-sync', device);
  if (configPath !== undefined) return join(dirname(resolve(configPath)), 'state', device);
  return join(homedir(), '.local', 'state', 'amora-sync', device);
}
