import { describe, expect, it } from 'vitest';
import { readPayload } from './payload-json.js';
import { commandResponseSchema, parsedCommandResponseSchema } from './wire-messages.js';

const read = (schema: typeof commandResponseSchema, value: unknown) => readPayload(schema, JSON.stringify(value));

describe('parsedCommandResponseSchema', () => {
  const responses: unknown[] = [
    { command_id: 'c1', command: 'echo', success: true, result: { value: [1, 'two', null, { deep: true }] }, timestamp: 1 },
    { command_id: 'c2', command: 'echo', success: true, timestamp: 2 },
    { command_id: 'c3', command: 'play', success: false, error: { code: 'timeout', message: 'slow', details: { ms: 10 } }, timestamp: 3, signature: 'kept' },
    { command_id: 'c4', command: 'play', success: false, error: { code: 'timeout' }, timestamp: 4 },
    { command: 'echo', success: true, timestamp: 5 },
    { command_id: 'c6', command: 'echo', success: 'yes', timestamp: 6 },
    { command_id: 'c7', command: 'echo', success: false, timestamp: 7 },
    ['not', 'an', 'object'],
  ];

  it('reads what JSON text carries exactly as the documented schema does', () => {
    for (const response of responses) expect(read(parsedCommandResponseSchema, response)).toEqual(read(commandResponseSchema, response));
    expect(responses.map((response) => read(parsedCommandResponseSchema, response) !== undefined)).toEqual([true, true, true, false, false, false, false, false]);
  });
});
