import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { redactString } from '../../core/index.js';
import { createBuiltinRegistry } from '../builtins.js';
import { checkConfigFile } from '../config-tools/config-check.js';
import { configJsonSchema } from '../config-tools/config-json-schema.js';
import { starterConfig, type StarterKind } from '../config-tools/starters.js';
import { CliError, EXIT } from '../exit-codes.js';

/** The built-in kinds the schema describes (plugins add theirs through `plugins:` at run time). */
const BUILTIN_KIND_NAMES = ['mqtt', 'azure-iot-hub', 'aws-iot', 'virtual', 'mpd'] as const;

/** `amora config check FILE`: every problem on its own line, `path: message`; exit 2 if any. */
export async function runConfigCheck(file: string, options: { json?: boolean }): Promise<void> {
  const result = await checkConfigFile(file, createBuiltinRegistry());
  const problems = result.problems.map((p) => ({ path: p.path, message: redactString(p.message) }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ file: result.file, ok: problems.length === 0, problems })}\n`);
  } else if (problems.length === 0) {
    const config = result.config!;
    const kinds = config.transports.map((t) => t.kind).join(', ');
    process.stdout.write(`${result.file}: ok (device ${config.device.id}; transports ${kinds}${config.player ? `; player ${config.player.kind}` : ''})\n`);
  } else {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    process.stderr.write(`${result.file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}\n`);
  }
  if (problems.length > 0) process.exitCode = EXIT.usage;
}

/** `amora config schema`: the JSON Schema on stdout or into --output. */
export async function runConfigSchema(options: { output?: string }): Promise<void> {
  const { schema, skipped } = await configJsonSchema(createBuiltinRegistry(), BUILTIN_KIND_NAMES);
  if (skipped.length > 0) process.stderr.write(`amora: kinds left open (their package is not installed): ${skipped.join(', ')}\n`);
  await emit(`${JSON.stringify(schema, null, 2)}\n`, options.output, true);
}

/** `amora config init [KIND]`: the annotated starter on stdout or into --output (not over a file unless --force). */
export async function runConfigInit(kind: StarterKind, options: { output?: string; force?: boolean }): Promise<void> {
  await emit(starterConfig(kind), options.output, options.force === true);
}

async function emit(text: string, output: string | undefined, overwrite: boolean): Promise<void> {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  const file = resolve(output);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { flag: overwrite ? 'w' : 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new CliError(`${file} exists: pass --force to overwrite it`, EXIT.usage);
    throw new CliError(`cannot write ${file}: ${error.code ?? error.message}`, EXIT.usage);
  });
  process.stderr.write(`wrote ${file}\n`);
}
