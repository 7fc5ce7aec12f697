import { z } from 'zod';
import { commandEnvelopeSchema } from '../commands/command-envelope.js';
import {
  commandResponseSchema,
  connectionMessageSchema,
  deviceStateMessageSchema,
  stateChangeRecordSchema,
  telemetryMessageSchema,
} from '../transport/wire-messages.js';

/**
 * The JSON Schemas of the generic MQTT wire protocol, generated from the zod schemas the code
 * reads and writes messages with, so docs/protocol.md cannot drift from the code (a unit spec
 * compares them; `npm run docs:schemas` rewrites them). Titles match the doc's markers.
 */
export const PROTOCOL_MESSAGES = {
  'state message': deviceStateMessageSchema,
  presence: connectionMessageSchema,
  command: commandEnvelopeSchema,
  response: commandResponseSchema,
  telemetry: telemetryMessageSchema,
  'state change': stateChangeRecordSchema,
} as const satisfies Record<string, z.ZodType>;

export type ProtocolMessageTitle = keyof typeof PROTOCOL_MESSAGES;

/** The JSON Schema (draft 2020-12) of one protocol message, as a receiver reads it (extra members allowed). */
export function protocolJsonSchema(title: ProtocolMessageTitle): Record<string, unknown> {
  const generated = z.toJSONSchema(PROTOCOL_MESSAGES[title], { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, title, ...rest };
}

const BLOCK = /<!-- schema: ([a-z ]+) -->\n```json\n[\s\S]*?\n```\n<!-- \/schema -->/g;

/**
 * `markdown` with every block between `<!-- schema: TITLE -->` and `<!-- /schema -->` replaced by
 * the generated schema of TITLE. @throws Error for a marker naming no protocol message.
 */
export function renderProtocolSchemas(markdown: string): string {
  return markdown.replace(BLOCK, (_block, title: string) => {
    if (!Object.hasOwn(PROTOCOL_MESSAGES, title)) throw new Error(`docs marker names no protocol message: "${title}"`);
    const schema = compactJson(protocolJsonSchema(title as ProtocolMessageTitle));
    return `<!-- schema: ${title} -->\n\`\`\`json\n${schema}\n\`\`\`\n<!-- /schema -->`;
  });
}

/** One top-level member per line, and one line per property: readable in the doc, exact as JSON. */
function compactJson(schema: Record<string, unknown>): string {
  const members = Object.entries(schema).map(([key, value]) => {
    if (key !== 'properties' || typeof value !== 'object' || value === null) return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    const properties = Object.entries(value).map(([name, property]) => `   ${JSON.stringify(name)}:${JSON.stringify(property)}`);
    return `"properties":{\n${properties.join(',\n')}}`;
  });
  return `{${members.join(',\n ')}}`;
}

/** The titles whose markers appear in `markdown`. */
export function documentedSchemas(markdown: string): string[] {
  return [...markdown.matchAll(BLOCK)].map((match) => match[1]!);
}
