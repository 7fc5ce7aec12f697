import { readFile } from 'node:fs/promises';
import {
  ConfigError,
} from '../../core/index.js';

/** True when the value is PEM text rather than a path. */
export function isPem(value: string): boolean {
  return value.includes('-----BEGIN');
}

/** Reads PEM material given inline or as a file path; `key` names the option in errors (never the content). */
export async function readPem(value: string | undefined, key: string): Promise<string | undefined> {
  if (value === undefined || isPem(value)) return value;
  try {
    return await readFile(value, 'utf8');
  } catch (error) {
    throw new ConfigError(`${key}: cannot read ${value}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      cause: error,
      details: { path: key },
    });
  }
}

/** The connection string from the options or, failing that, from the environment variable `env`. */
export function resolveConnectionString(value: string | undefined, env: string, key: string): string {
  const resolved = value ?? process.env[env];
  if (!resolved) {
    throw new ConfigError(`azure-iot-hub: ${key} is required (or set ${env})`, { details: { path: key } });
  }
  return resolved;
}
