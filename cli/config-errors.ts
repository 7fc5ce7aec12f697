import { resolve } from 'node:path';
import {
  PluginLoadError,
  type AgentConfig,
} from '../core/index.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * Says where in the config file a plugin error comes from. A kind's options are validated by its
 * plugin, whose error names the plugin, the kind and the key inside the section (`url`) but not the
 * section (`transports[0]`) nor the file; the user needs all three to find the line.
 */
export function locatePluginError(error: unknown, config: AgentConfig, file: string | undefined, only?: string): unknown {
  if (!(error instanceof PluginLoadError)) return error;
  const sections = only === undefined ? kindSections(config) : kindSections(config).filter(([path]) => path === only);
  const paths = sections.filter(([, kind]) => kind === error.kind).map(([path]) => path);
  const prefix = [file === undefined ? undefined : resolve(file), paths.length > 0 ? paths.join(' or ') : undefined].filter(Boolean);
  return prefix.length === 0 ? error : new CliError(`${prefix.join(': ')}: ${error.message}`, EXIT.usage);
}

/** The config's plugin-kind sections as [path, kind] pairs, in the order the agent builds them. */
function kindSections(config: AgentConfig): [string, string][] {
  return [
    ...(config.player ? [['player', config.player.kind] as [string, string]] : []),
    ...config.transports.map((section, index): [string, string] => [`transports[${index}]`, section.kind]),
  ];
}
