import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildAgent, isAmoraError, isJsonObject, parseConfig, type LoadedConfig, type PluginRegistry } from '../../core/index.js';
import {
  applyEnvOverrides,
  CORE_TRANSPORT_KEYS,
  describeIssue,
  fromAmoraOs,
  interpolateEnv,
  isAmoraOsLayout,
  resolveOptionPaths,
  type EnvRecord,
} from '../../core/internal.js';
import { checkOptionFiles } from '../../core/node.js';

/** One thing wrong with a config file, at a key path (`transports[0].url`) or `(file)`. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export interface ConfigCheckResult {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  /** The validated config, when the core schema accepted it. */
  readonly config?: LoadedConfig;
}

/**
 * Checks a config file the way `amora agent` would load it, but reports every problem at once
 * instead of stopping at the first: the core schema, each plugin-kind section against its kind's
 * own options schema, the files those options name (certificates, keys), the `plugins` modules,
 * and finally a dry run that builds the agent without starting it (nothing connects).
 */
export async function checkConfigFile(path: string, registry: PluginRegistry, env: EnvRecord = process.env): Promise<ConfigCheckResult> {
  const file = resolve(path);
  const problems: ConfigProblem[] = [];
  const report = (problemPath: string, message: string): void => void problems.push({ path: problemPath, message });

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    report('(file)', code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'error'})`);
    return { file, problems };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    // YAML errors quote the offending line, which may hold a secret: keep only the position.
    const position = (error as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    report('(file)', `not valid YAML or JSON${position ? ` at line ${position.line}, column ${position.col}` : ''}`);
    return { file, problems };
  }

  let config: LoadedConfig | undefined;
  try {
    config = parseConfig(raw, { env, baseDir: dirname(file) });
  } catch (error) {
    for (const problem of configProblems(error)) problems.push(problem);
  }

  // Kind sections are checked even when the core schema failed, from the document as far as it maps.
  const native = config ?? nativeDocument(raw, env);
  const baseDir = dirname(file);
  for (const [index, specifier] of (Array.isArray(native['plugins']) ? native['plugins'] : []).entries()) {
    if (typeof specifier !== 'string') continue;
    await registry.loadPlugin(specifier, { baseDir }).catch((error: unknown) => report(`plugins[${index}]`, messageOf(error)));
  }
  // A key already reported (an unset variable) is not reported again as a bad value.
  const reported = new Set(problems.map((p) => p.path));
  const reportNew = (problemPath: string, message: string): void => void (reported.has(problemPath) || report(problemPath, message));
  for (const [sectionPath, section, role] of kindSections(native)) {
    await checkKindSection(registry, sectionPath, section, role, baseDir, reportNew);
  }

  if (config && problems.length === 0) {
    // What only building shows: a device profile the plugins do not provide, a module that throws.
    await buildAgent(config, registry).catch((error: unknown) => report('(agent)', messageOf(error)));
  }
  return { file, problems, ...(config ? { config } : {}) };
}

function configProblems(error: unknown): ConfigProblem[] {
  const issues = isAmoraError(error) ? (error.details as { issues?: unknown } | undefined)?.issues : undefined;
  if (Array.isArray(issues)) return issues as ConfigProblem[];
  const message = messageOf(error);
  // Interpolation and AmoraOS-layout errors read `key.path: what is wrong`.
  const match = /^([\w$[\]".-]+): (.*)$/s.exec(message);
  return [match ? { path: match[1]!, message: match[2]! } : { path: '(config)', message }];
}

/** The document as the agent would see it before the schema; what cannot be mapped stays raw. */
function nativeDocument(raw: unknown, env: EnvRecord): Record<string, unknown> {
  let document: unknown = raw ?? {};
  try {
    document = interpolateEnv(document, env);
  } catch {
    // an unset variable: already reported; check the rest as written
  }
  try {
    if (isAmoraOsLayout(document)) document = fromAmoraOs(document);
    document = applyEnvOverrides(document, env);
  } catch {
    // already reported by parseConfig
  }
  return isJsonObject(document) ? document : {};
}

function kindSections(document: Record<string, unknown>): [string, Record<string, unknown>, 'player' | 'transport'][] {
  const sections: [string, Record<string, unknown>, 'player' | 'transport'][] = [];
  if (isJsonObject(document['player'])) sections.push(['player', document['player'], 'player']);
  const transports = Array.isArray(document['transports']) ? document['transports'] : [];
  transports.forEach((section, index) => {
    if (isJsonObject(section)) sections.push([`transports[${index}]`, section, 'transport']);
  });
  return sections;
}

async function checkKindSection(
  registry: PluginRegistry,
  sectionPath: string,
  section: Record<string, unknown>,
  role: 'player' | 'transport',
  baseDir: string,
  report: (path: string, message: string) => void,
): Promise<void> {
  if (typeof section['kind'] !== 'string' || section['kind'] === '') return; // the core schema said so
  let resolved;
  try {
    resolved = await registry.loadKind(section['kind']);
  } catch (error) {
    report(`${sectionPath}.kind`, messageOf(error));
    return;
  }
  if (resolved.kind.role !== role) {
    report(`${sectionPath}.kind`, `"${section['kind']}" is a ${resolved.kind.role} kind, configured as a ${role}`);
    return;
  }
  const { kind: _kind, ...options } = section;
  if (role === 'transport') for (const key of CORE_TRANSPORT_KEYS) delete options[key];
  const withPaths = resolveOptionPaths(options, resolved.kind.paths, baseDir);
  const result = resolved.kind.options.safeParse(withPaths);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const { path, message } = describeIssue(issue);
      report(path === '(root)' ? sectionPath : `${sectionPath}.${path}`, message);
    }
  }
  if (role === 'transport') await checkFiles(registry, sectionPath, section, baseDir, report);
}

/**
 * The files a transport section names (certificates, keys), checked by the agent's own load-time
 * check, one section at a time so every section's problem is reported (the check stops at its first).
 */
async function checkFiles(registry: PluginRegistry, sectionPath: string, section: Record<string, unknown>, baseDir: string, report: (path: string, message: string) => void): Promise<void> {
  // checkOptionFiles reads only `transports` and `baseDir` of the config.
  const single = { transports: [section], baseDir } as unknown as LoadedConfig;
  await checkOptionFiles(single, registry).catch((error: unknown) => {
    const message = messageOf(error);
    const match = /^transports\[0\]((?:\.[\w$-]+)*): (.*)$/s.exec(message);
    if (match) report(`${sectionPath}${match[1]}`, match[2]!);
    else report(sectionPath, message);
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
