import { readFile } from 'node:fs/promises';
import {
  ConfigError,
} from '../../core/index.js';
import type { MqttTlsOptions } from './options.js';
import { isPem, type ResolvedTls, type TlsMaterialLoader } from './tls.js';

/** Node-only: reads `tls.ca/cert/key` from files unless they are inline PEM. */
export const fileTlsLoader: TlsMaterialLoader = async (tls: MqttTlsOptions): Promise<ResolvedTls> => {
  const read = async (key: 'ca' | 'cert' | 'key'): Promise<string | undefined> => {
    const value = tls[key];
    if (value === undefined || isPem(value)) return value;
    try {
      return await readFile(value, 'utf8');
    } catch (error) {
      // The path is configuration, not a secret; the file's content never appears in the message.
      throw new ConfigError(`tls.${key}: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
        cause: error,
        details: { path: `tls.${key}` },
      });
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
  };
};
