import {
  ConfigError,
} from '../../core/index.js';
import type { ResolvedTls } from '../../core/internal.js';
import type { MqttTlsOptions } from './options.js';

export type { ResolvedTls };

/** Turns the configured `tls` section (PEM or file paths) into PEM text. */
export type TlsMaterialLoader = (tls: MqttTlsOptions) => Promise<ResolvedTls>;

/** True for inline PEM (a certificate or key), as opposed to a file path. */
export function isPem(value: string): boolean {
  return value.includes('-----BEGIN ');
}

/**
 * The browser-safe loader: accepts inline PEM only. File paths need the Node loader
 * (`amora-sync/mqtt/node`, bound by the plugin module). In a browser, wss:// uses the browser's
 * own trust store and these options do not apply at all.
 */
export const inlineTlsLoader: TlsMaterialLoader = async (tls) => {
  for (const key of ['ca', 'cert', 'key'] as const) {
    const value = tls[key];
    if (value !== undefined && !isPem(value)) {
      throw new ConfigError(`tls.${key} is not PEM text; file paths are read only by the Node build (amora-sync/mqtt/node)`, {
        details: { path: `tls.${key}` },
      });
    }
  }
  return tls;
};
