// Node-only: reads the config file from disk. Everything else in core/config is browser-safe.
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { EnvRecord } from './interpolate.js';
import { parseConfig, type LoadedConfig } from './parse.js';

/**
 * Loads a YAML or JSON config file (`.yaml`, `.yml`, `.json`; YAML parses both, see parseJson), applies
 * interpolation, AmoraOS mapping and env overrides, and validates it. `baseDir` is the file's
 * directory. Every error names the file.
 */
export async function loadConfigFile(path: string, env: EnvRecord = process.env): Promise<LoadedConfig> {
  const file = resolve(path);
  const extension = extname(file).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(extension)) {
    throw new ConfigError(`${file}: unsupported config file extension "${extension}" (expected .yaml, .yml or .json)`, {
      details: { file },
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot read file';
    throw new ConfigError(`${file}: ${reason}`, { cause: error, details: { file } });
  }
  let raw = extension === '.json' ? parseJson(text) : undefined;
  if (raw == null) {
    // Imported before the try: a failure to load the parser is not the file's fault.
    const yaml = await import('yaml');
    try {
      raw = yaml.parse(text, { prettyErrors: true }) as unknown;
    } catch (error) {
      // YAML errors quote the offending line, which may hold a secret: keep only the position.
      const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
      const where = position ? ` at line ${position.line}, column ${position.col}` : '';
      throw new ConfigError(`${file}: not valid ${extension === '.json' ? 'JSON' : 'YAML'}${where}`, { details: { file } });
    }
  }
  return parseConfig(raw, { env, baseDir: dirname(file), source: file });
}

/**
 * A `.json` file's content when JSON.parse takes it, else undefined: YAML then parses it as it
 * always did (it also takes comments and trailing commas, and places its errors by line). A valid
 * JSON file so never loads the yaml package (73 modules, a tenth of an agent's start). One
 * difference from YAML: a key given twice keeps its last value, as JSON.parse does.
 */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
