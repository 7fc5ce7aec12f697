// Node-only: looks at the filesystem. The path logic itself is browser-safe (option-paths.ts).
import { access, constants, stat } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { isJsonObject } from '../state/json.js';
import type { PluginRegistry } from '../plugins/loader.js';
import { isFilePathValue, resolveOptionPaths } from './option-paths.js';
import type { KindSection } from './schema.js';
import type { LoadedConfig } from './parse.js';

/**
 * Checks that every file a transport section names in a path option (certificates, keys: the
 * kind's `paths`) exists and is readable, so a missing TLS file is a configuration error the operator
 * sees at once (exit 2, naming the key and the file) rather than a connection that never comes
 * up. Relative paths count from the config file's directory, as the agent reads them. Kinds the
 * registry cannot load are left to the agent build, which reports them. The player's paths are
 * not checked: MPD's `socketPath` is a socket MPD creates when it runs, which may be after the agent
 * starts (the player retries until it appears).
 * @throws ConfigError naming the key path (`transports[0].tls.ca`) and the file.
 */
export async function checkOptionFiles(config: LoadedConfig, registry: PluginRegistry): Promise<void> {
  const sections = config.transports.map((section, index): [string, KindSection] => [`transports[${index}]`, section]);
  for (const [where, section] of sections) {
    let paths: readonly string[] | undefined;
    try {
      paths = (await registry.loadKind(section.kind)).kind.paths;
    } catch {
      continue;
    }
    if (!paths || paths.length === 0) continue;
    const resolved = resolveOptionPaths(section, paths, config.baseDir);
    for (const path of paths) {
      const value = valueAt(resolved, path.split('.'));
      if (!isFilePathValue(value)) continue;
      const problem = await fileProblem(value);
      if (problem) {
        throw new ConfigError(`${where}.${path}: ${problem}: ${value}`, { details: { path: `${where}.${path}`, file: value } });
      }
    }
  }
}

function valueAt(target: unknown, [head, ...rest]: readonly string[]): unknown {
  if (head === undefined) return target;
  if (!isJsonObject(target)) return undefined;
  return valueAt(target[head], rest);
}

async function fileProblem(file: string): Promise<string | undefined> {
  try {
    if (!(await stat(file)).isFile()) return 'not a file';
    await access(file, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'file not readable' : `cannot read the file (${code ?? 'error'})`;
  }
}
