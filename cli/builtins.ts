import { PluginRegistry, type AmoraPlugin } from '../core/index.js';
import { missingPackageError } from './optional-packages.js';

/**
 * Built-in kinds, each loaded on first use through the same plugin API a third party uses, so an
 * agent on MQTT never imports a cloud SDK (the cloud SDKs are optional: see optional-packages.ts).
 */
const BUILTIN_KINDS: Readonly<Record<string, () => Promise<{ default: AmoraPlugin }>>> = {
  mqtt: () => import('../adapters/mqtt/plugin.js'),
  'azure-iot-hub': () => import('../adapters/azure-iot-hub/plugin.js'),
  'aws-iot': () => import('../adapters/aws-iot/plugin.js'),
  virtual: () => import('../player/virtual/plugin.js'),
  mpd: () => import('../player/mpd/plugin.js'),
  signing: () => import('../plugins/signing/plugin.js'),
};

/**
 * A registry that knows every built-in kind: what `amora agent` uses, and what an integrator's
 * program passes to `buildAgent`/`buildController` (exported as `amora-sync/builtins`).
 */
export function createBuiltinRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  for (const [kind, load] of Object.entries(BUILTIN_KINDS)) {
    registry.registerLazy(kind, async () => {
      try {
        return (await load()).default;
      } catch (error) {
        throw missingPackageError(kind, error);
      }
    });
  }
  return registry;
}
