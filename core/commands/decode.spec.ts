import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InboundCommand } from '../transport/device-transport.js';
import { decodeCommand, type DecodeResult } from './decode.js';
import { COMMAND_ERROR_STATUS } from './types.js';

const limits = { maxPayloadBytes: 1_024 };
const decode = (inbound: InboundCommand, max = limits): DecodeResult => decodeCommand(inbound, max);
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('decodeCommand, in-band payloads', () => {
  const wire = { command: 'setVolume', command_id: 'c-1', params: { volume: 40 }, timestamp: 1_700_000_000 };

  it.each([
    ['bytes', bytes(JSON.stringify(wire))],
    ['text', JSON.stringify(wire)],
    ['a parsed value', wire],
  ])('accepts the seed wire format as %s', (_form, payload) => {
    expect(decode({ payload })).toEqual({ ok: true, request: wire });
  });

  it('stringifies a numeric command_id and defaults params to {}', () => {
    expect(decode({ payload: '{"command":"play","command_id":7}' })).toEqual({
      ok: true,
      request: { command: 'play', command_id: '7', params: {} },
    });
    expect(decode({ payload: '{"command":"play","command_id":"x","params":null}' })).toMatchObject({
      ok: true,
      request: { params: {} },
    });
  });

  it('ignores a timestamp that is not a number', () => {
    const result = decode({ payload: '{"command":"play","command_id":"x","timestamp":"yesterday"}' });
    expect(result.ok && result.request).not.toHaveProperty('timestamp');
  });

  it('uses the transport request id when the payload has no command_id', () => {
    expect(decode({ payload: '{"command":"play"}', requestId: 'rid-9' })).toMatchObject({
      ok: true,
      request: { command: 'play', command_id: 'rid-9' },
    });
  });

  it('answers invalid JSON with invalid_params and no command id', () => {
    expect(decode({ payload: '{"command": "play", ' })).toEqual({
      ok: false,
      error: { code: 'invalid_params', message: 'payload is not valid JSON', details: { field: 'payload' } },
    });
  });

  it('keeps the request id on errors so they can still be answered', () => {
    expect(decode({ payload: 'not json', requestId: 'rid-1' })).toMatchObject({ ok: false, commandId: 'rid-1' });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(decode({ payload: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) })).toMatchObject({
      ok: false,
      error: { code: 'invalid_params', details: { field: 'payload' } },
    });
  });

  it.each([
    ['bytes', bytes(`{"command":"x","command_id":"1","params":{"s":"${'a'.repeat(1_100)}"}}`), { commandId: '1' }],
    ['text', `{"command":"x","command_id":"1","params":{"s":"${'a'.repeat(1_100)}"}}`, { commandId: '1' }],
    ['multi-byte text', `{"command":"x","command_id":"1","params":{"s":"${'é'.repeat(500)}"}}`, { commandId: '1' }],
    ['a parsed value', { command: 'x', command_id: '1', params: { s: 'a'.repeat(1_100) } }, {}],
  ])('refuses an oversized payload given as %s with payload_too_large', (_form, payload, addressed) => {
    const result = decode({ payload });
    expect(result).toEqual({
      ok: false,
      ...addressed,
      error: { code: 'payload_too_large', message: 'payload exceeds 1024 bytes', details: { maxPayloadBytes: 1_024 } },
    });
    expect(COMMAND_ERROR_STATUS.payload_too_large).toBe(413);
  });

  it('addresses an oversized refusal to the transport request id before a scanned command_id', () => {
    const payload = `{"command":"x","command_id":"c-1","params":{"s":"${'a'.repeat(1_100)}"}}`;
    expect(decode({ payload, requestId: 'rid-1' })).toMatchObject({ ok: false, commandId: 'rid-1', error: { code: 'payload_too_large' } });
    expect(decode({ payload: `{"command":"x","params":{"s":"${'a'.repeat(1_100)}"}}` })).not.toHaveProperty('commandId');
  });

  it('counts UTF-8 bytes, not characters, at the limit', () => {
    const payload = `{"command":"x","command_id":"1","params":{"s":"${'é'.repeat(100)}"}}`;
    const size = bytes(payload).byteLength;
    expect(decode({ payload }, { maxPayloadBytes: size }).ok).toBe(true);
    expect(decode({ payload }, { maxPayloadBytes: size - 1 })).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
  });

  it.each([
    ['payload not an object', '[1,2]', 'payload', {}],
    ['empty payload', '  ', 'payload', {}],
    ['command missing', '{"command_id":"c"}', 'command', { commandId: 'c' }],
    ['command empty', '{"command":"","command_id":"c"}', 'command', { commandId: 'c' }],
    ['command not a string', '{"command":5,"command_id":"c"}', 'command', { commandId: 'c' }],
    ['command_id an object', '{"command":"play","command_id":{}}', 'command_id', { command: 'play' }],
    ['command_id empty', '{"command":"play","command_id":""}', 'command_id', { command: 'play' }],
    ['command_id missing', '{"command":"play"}', 'command_id', { command: 'play' }],
    ['params an array', '{"command":"play","command_id":"c","params":[1]}', 'params', { command: 'play', commandId: 'c' }],
    ['params a string', '{"command":"play","command_id":"c","params":"loud"}', 'params', { command: 'play', commandId: 'c' }],
  ])('refuses %s, naming the field', (_case, payload, field, known) => {
    const result = decode({ payload });
    expect(result).toEqual({ ok: false, ...known, error: expect.objectContaining({ code: 'invalid_params', details: { field } }) });
  });

  it.each([
    ['__proto__', '{"command":"x","command_id":"c","params":{"__proto__":{"polluted":true}}}', 'params.__proto__'],
    ['constructor', '{"command":"x","command_id":"c","params":{"constructor":{"prototype":{"polluted":true}}}}', 'params.constructor'],
    ['a nested __proto__', '{"command":"x","command_id":"c","params":{"a":[{"b":{"__proto__":{}}}]}}', 'params.a.0.b.__proto__'],
  ])('refuses a %s key in params, naming it, without polluting anything', (_case, payload, field) => {
    expect(decode({ payload })).toMatchObject({
      ok: false,
      commandId: 'c',
      command: 'x',
      error: { code: 'invalid_params', details: { field } },
    });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('refuses params nested too deeply', () => {
    const payload = `{"command":"x","command_id":"c","params":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`;
    expect(decode({ payload }, { maxPayloadBytes: 10_000 })).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
  });

  it('refuses an already-parsed payload holding values JSON cannot carry', () => {
    const payload = { command: 'x', command_id: 'c', params: { when: new Date() } } as unknown as InboundCommand['payload'];
    expect(decode({ payload })).toMatchObject({ ok: false, error: { code: 'invalid_params', details: { field: 'payload' } } });
  });
});

describe('decodeCommand, out-of-band command names (e.g. Azure direct methods)', () => {
  it('takes the payload as params and the request id as command_id', () => {
    expect(decode({ command: 'setVolume', requestId: 'rid-1', payload: '{"volume":40}' })).toEqual({
      ok: true,
      request: { command: 'setVolume', command_id: 'rid-1', params: { volume: 40 } },
    });
  });

  it('accepts a {command_id, params} wrapper, whose id wins over the request id', () => {
    expect(decode({ command: 'setVolume', requestId: 'rid-1', payload: { command_id: 'c-5', params: { volume: 40 } } })).toEqual({
      ok: true,
      request: { command: 'setVolume', command_id: 'c-5', params: { volume: 40 } },
    });
    expect(decode({ command: 'play', requestId: 'rid-1', payload: { params: {} } })).toMatchObject({
      ok: true,
      request: { command_id: 'rid-1', params: {} },
    });
  });

  it('lets the out-of-band name win over a command in the body', () => {
    expect(decode({ command: 'pause', requestId: 'r', payload: { command: 'play', command_id: 'c' } })).toMatchObject({
      ok: true,
      request: { command: 'pause', command_id: 'c' },
    });
  });

  it.each([undefined, null, '', new Uint8Array()])('reads no body (%s) as empty params', (payload) => {
    expect(decode({ command: 'play', requestId: 'r', payload })).toEqual({
      ok: true,
      request: { command: 'play', command_id: 'r', params: {} },
    });
  });

  it('refuses a body that is not an object, naming params', () => {
    expect(decode({ command: 'seek', requestId: 'r', payload: 42 })).toMatchObject({
      ok: false,
      commandId: 'r',
      command: 'seek',
      error: { code: 'invalid_params', details: { field: 'params' } },
    });
  });

  it('answers nothing addressable without any id', () => {
    const result = decode({ command: 'play', payload: '{}' });
    expect(result).toEqual({ ok: false, command: 'play', error: expect.objectContaining({ details: { field: 'command_id' } }) });
  });

  it('refuses an empty out-of-band name', () => {
    expect(decode({ command: '', requestId: 'r', payload: '{}' })).toMatchObject({
      ok: false,
      commandId: 'r',
      error: { code: 'invalid_params', details: { field: 'command' } },
    });
  });
});

/** What is wrong with a decode result's shape; empty when it is a valid request or a coded error. */
function shapeProblems(result: DecodeResult): string[] {
  const problems: string[] = [];
  if (result.ok) {
    const { command, command_id, params } = result.request;
    if (typeof command !== 'string' || command === '') problems.push('command');
    if (typeof command_id !== 'string' || command_id === '') problems.push('command_id');
    if (typeof params !== 'object' || params === null || Array.isArray(params)) problems.push('params');
  } else {
    if (!['invalid_params', 'payload_too_large'].includes(result.error.code)) problems.push(`code ${result.error.code}`);
    if (typeof result.error.message !== 'string' || result.error.message === '') problems.push('message');
    if (result.commandId !== undefined && typeof result.commandId !== 'string') problems.push('commandId');
  }
  return problems;
}

describe('decodeCommand never throws (property tests)', () => {
  const optionalName = fc.option(fc.string({ maxLength: 8 }), { nil: undefined });
  const envelope = fc.record(
    {
      command: fc.oneof(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
      command_id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
      params: fc.jsonValue({ maxDepth: 3 }),
      timestamp: fc.jsonValue({ maxDepth: 0 }),
    },
    { requiredKeys: [] },
  );
  const payload = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 64 }),
    fc.jsonValue(),
    fc.json(),
    envelope,
    envelope.map((e) => JSON.stringify(e)),
    envelope.map((e) => new TextEncoder().encode(JSON.stringify(e))),
    fc.constant(undefined),
  );

  it('for arbitrary strings, bytes and JSON, in-band or out-of-band', () => {
    fc.assert(
      fc.property(payload, optionalName, optionalName, fc.integer({ min: 0, max: 200 }), (p, command, requestId, max) => {
        const result = decodeCommand({ payload: p as InboundCommand['payload'], command, requestId }, { maxPayloadBytes: max });
        expect(shapeProblems(result)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes every well-formed envelope it is given', () => {
    const valid = fc.record({
      command: fc.string({ minLength: 1, maxLength: 12 }),
      command_id: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.integer()),
      params: fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), fc.jsonValue({ maxDepth: 0 })),
    });
    fc.assert(
      fc.property(valid, (e) => {
        const result = decodeCommand({ payload: JSON.stringify(e) }, { maxPayloadBytes: 1 << 20 });
        // What went over the wire is JSON text, which has no -0: compare with the params as JSON carries them.
        const params: unknown = JSON.parse(JSON.stringify(e.params));
        expect(result).toEqual({ ok: true, request: { command: e.command, command_id: String(e.command_id), params } });
      }),
    );
  });

  it('survives hostile nesting without overflowing the stack', () => {
    const depth = 200_000;
    for (const hostile of ['['.repeat(depth) + ']'.repeat(depth), `{"command":"x","command_id":"c","params":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`]) {
      const result = decodeCommand({ payload: hostile }, { maxPayloadBytes: 10 * depth });
      expect(result.ok).toBe(false);
    }
  });
});
