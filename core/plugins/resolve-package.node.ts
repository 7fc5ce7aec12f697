// Node-only: resolves plugin packages installed next to the config file, not only next to core.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A PluginRegistryOptions.resolvePackage for Node: finds `name` from `baseDir` upwards through
 * node_modules and returns its file: URL, or undefined to fall back to a plain `import(name)`
 * (for example an ESM-only package whose `exports` has no `require`/`default` condition).
 */
export function nodePackageResolver(name: string, baseDir: string): string | undefined {
  try {
    const require = createRequire(join(baseDir, 'amora-plugin-resolver.js'));
    return pathToFileURL(require.resolve(name)).href;
  } catch {
    return undefined;
  }
}
