import { PluginLoadError } from '../errors.js';
import { PLUGIN_API_VERSION, type AmoraPlugin, type PluginKindRole } from './plugin.js';

const ROLES: readonly PluginKindRole[] = ['transport', 'player', 'middleware'];

/**
 * Checks that `candidate` has the plugin shape (duck-typed: the zod schemas may come from another
 * copy of zod) and this core's API version; `source` names it in errors before its name is known.
 */
export function validatePlugin(candidate: unknown, source: string): AmoraPlugin {
  if (typeof candidate !== 'object' || candidate === null) {
    throw new PluginLoadError(source, undefined, 'expected a plugin object (the default export of definePlugin({...}))');
  }
  const plugin = candidate as Partial<AmoraPlugin>;
  if (typeof plugin.name !== 'string' || plugin.name === '') {
    throw new PluginLoadError(source, undefined, 'plugin has no name (expected a non-empty string "name")');
  }
  if (plugin.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginLoadError(
      plugin.name,
      undefined,
      `plugin API version ${JSON.stringify(plugin.apiVersion)} is not supported (this core implements version ${PLUGIN_API_VERSION})`,
      { details: { apiVersion: plugin.apiVersion ?? null, supported: PLUGIN_API_VERSION } },
    );
  }
  if (typeof plugin.kinds !== 'object' || plugin.kinds === null || Object.keys(plugin.kinds).length === 0) {
    throw new PluginLoadError(plugin.name, undefined, 'plugin declares no kinds (expected "kinds": {name: {role, options, module}})');
  }
  for (const [kindName, kind] of Object.entries(plugin.kinds)) {
    const problem = kindProblem(kind);
    if (problem) throw new PluginLoadError(plugin.name, kindName, problem);
  }
  return plugin as AmoraPlugin;
}

function kindProblem(kind: unknown): string | undefined {
  if (typeof kind !== 'object' || kind === null) return 'expected a kind object {role, options, module}';
  const { role, options, module, paths } = kind as Record<string, unknown>;
  if (!ROLES.includes(role as PluginKindRole)) return `role must be one of ${ROLES.join(', ')}`;
  if (typeof (options as { safeParse?: unknown } | undefined)?.safeParse !== 'function') {
    return '"options" must be a zod schema';
  }
  if (typeof module !== 'function') return '"module" must be a function returning a ContainerModule';
  if (paths !== undefined && !(Array.isArray(paths) && paths.every((path) => typeof path === 'string' && path !== ''))) {
    return '"paths" must be a list of option keys such as "tls.ca"';
  }
  return undefined;
}
