import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { fromAmoraOs, isAmoraOsLayout } from './amoraos.js';
import { applyEnvOverrides } from './env-overrides.js';
import { interpolateEnv, type EnvRecord } from './interpolate.js';
import { AgentConfigSchema, type AgentConfig } from './schema.js';
import { describeIssue, describeZodError } from './zod-issues.js';

export interface ParseConfigOptions {
  /** Variables for `${VAR}` interpolation and `AMORA_*` overrides; pass `process.env` in Node. */
  readonly env?: EnvRecord;
  /** Where relative paths in the config (plugins, certificates) are resolved: the config file's directory. */
  readonly baseDir?: string;
  /** Named in error messages, e.g. the config file path. */
  readonly source?: string;
}

/** A validated config plus where it came from. */
export type LoadedConfig = AgentConfig & {
  readonly baseDir?: string;
  /** Key paths of an AmoraOS config.json that nothing here uses; the caller warns once, naming them. */
  readonly ignoredKeys?: readonly string[];
};

/**
 * Turns a parsed config document into a validated AgentConfig: `${VAR}` interpolation, AmoraOS
 * `config.json` mapping, `AMORA_*` overrides, then the schema. Every failure is a ConfigError whose
 * message names the bad key path and what was expected.
 */
export function parseConfig(raw: unknown, options: ParseConfigOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const where = options.source ? `${options.source}: ` : '';
  try {
    const interpolated = interpolateEnv(raw ?? {}, env);
    const amoraOs = isAmoraOsLayout(interpolated) ? fromAmoraOs(interpolated) : undefined;
    const overridden = applyEnvOverrides(amoraOs?.config ?? interpolated, env);
    const result = AgentConfigSchema.safeParse(overridden);
    if (!result.success) throw zodToConfigError(result.error, where);
    return {
      ...result.data,
      ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }),
      ...(amoraOs && amoraOs.ignored.length > 0 ? { ignoredKeys: amoraOs.ignored } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError && where && !error.message.startsWith(where)) {
      throw new ConfigError(`${where}${error.message}`, { details: error.details, cause: error.cause });
    }
    throw error;
  }
}

/** A ConfigError listing every issue as `path: expectation`; `details.issues` keeps them structured. */
export function zodToConfigError(error: z.ZodError, prefix = ''): ConfigError {
  const issues = error.issues.map((issue) => describeIssue(issue));
  return new ConfigError(`${prefix}invalid configuration: ${describeZodError(error)}`, {
    details: { path: issues[0]?.path, issues },
  });
}
