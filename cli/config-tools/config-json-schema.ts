// JSON Schema's if/then keywords are data here, not a thenable.
/* oxlint-disable unicorn/no-thenable */
import { z } from 'zod';
import { AgentConfigSchema, type PluginKindRole, type PluginRegistry } from '../../core/index.js';

type JsonSchema = Record<string, unknown>;

/** The schema's `$id`: a stable name, not a download address (the file ships in the package). */
export const CONFIG_SCHEMA_ID = 'urn:amora-sync:agent-config';

/** A `${VAR}` reference, which the loader replaces before validation: accepted where a number or boolean goes. */
const INTERPOLATED = { type: 'string', pattern: '\\$\\{[^}]+\\}' };

/**
 * The JSON Schema (draft-07, what yaml-language-server and VS Code read best) of the native config
 * file, generated from the same zod schemas the agent validates with: the core schema, and for
 * each kind the registry can load (the built-ins, plus any plugin loaded before) its options, keyed
 * on `kind` with if/then so an editor completes and checks the options of the kind written.
 * Kinds it cannot load (a cloud SDK not installed) are left open, and named in `skipped`.
 */
export async function configJsonSchema(registry: PluginRegistry, kindNames: readonly string[]): Promise<{ schema: JsonSchema; skipped: string[] }> {
  const schema = toJson(AgentConfigSchema);
  const byRole: Record<PluginKindRole, JsonSchema[]> = { transport: [], player: [], middleware: [] };
  const skipped: string[] = [];
  for (const name of kindNames) {
    try {
      const { kind } = await registry.loadKind(name);
      const options = toJson(kind.options);
      delete options['$schema'];
      const properties = { ...(options['properties'] as JsonSchema | undefined), kind: { const: name } };
      byRole[kind.role].push({
        if: { properties: { kind: { const: name } }, required: ['kind'] },
        then: { ...options, properties, ...(kind.description ? { description: kind.description } : {}) },
      });
    } catch {
      skipped.push(name);
    }
  }
  const properties = schema['properties'] as Record<string, JsonSchema>;
  properties['player'] = { ...properties['player'], allOf: byRole.player };
  const transports = properties['transports']!;
  const item = transports['items'] as JsonSchema;
  // A transport entry also carries core keys (rateLimit) besides its kind's options.
  const coreKeys = item['properties'] as JsonSchema;
  transports['items'] = { ...item, allOf: byRole.transport.map((rule) => withCoreKeys(rule, coreKeys)) };
  return {
    schema: {
      $schema: schema['$schema'],
      $id: CONFIG_SCHEMA_ID,
      title: 'Amora Sync agent configuration',
      description: 'The native config file of `amora agent --config` (YAML or JSON). See docs/configuration.md.',
      ...withoutKey(schema, '$schema'),
    },
    skipped,
  };
}

function toJson(schema: z.ZodType): JsonSchema {
  return allowInterpolation(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as JsonSchema) as JsonSchema;
}

function withCoreKeys(rule: JsonSchema, coreKeys: JsonSchema): JsonSchema {
  const then = rule['then'] as JsonSchema;
  return { ...rule, then: { ...then, properties: { ...coreKeys, ...(then['properties'] as JsonSchema) } } };
}

/**
 * Numbers, booleans, enums and patterned strings may be written as `${VAR}`: the loader
 * interpolates before it validates, so the editor must not flag `id: ${AMORA_DEVICE_ID}`.
 */
function allowInterpolation(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowInterpolation);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) out[key] = key === 'const' || key === 'enum' || key === 'default' ? value : allowInterpolation(value);
  const type = out['type'];
  const constrainedString = type === 'string' && (out['pattern'] !== undefined || out['enum'] !== undefined || out['format'] !== undefined);
  if (type === 'number' || type === 'integer' || type === 'boolean' || constrainedString) return { anyOf: [out, INTERPOLATED] };
  return out;
}

function withoutKey(record: JsonSchema, key: string): JsonSchema {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}
