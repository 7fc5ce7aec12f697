import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { documentedSchemas, PROTOCOL_MESSAGES, protocolJsonSchema, renderProtocolSchemas } from './protocol-schemas.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

describe('protocol JSON Schemas', () => {
  it('docs/protocol.md shows every message schema exactly as generated from the code (else run npm run docs:schemas)', () => {
    expect(documentedSchemas(doc).toSorted()).toEqual(Object.keys(PROTOCOL_MESSAGES).toSorted());
    expect(renderProtocolSchemas(doc)).toBe(doc);
  });

  it('says what a device must send: presence needs its timestamp, records may carry an id, commands may expire', () => {
    expect(protocolJsonSchema('presence')).toMatchObject({ required: ['device_id', 'status', 'timestamp'] });
    const telemetry = protocolJsonSchema('telemetry') as { properties: { records: { items: { properties: Record<string, unknown>; required: string[] } } } };
    expect(Object.keys(telemetry.properties.records.items.properties)).toContain('id');
    expect(protocolJsonSchema('command')).toMatchObject({ required: ['command', 'command_id'], properties: { expires_at: { type: 'number' } } });
  });
});
