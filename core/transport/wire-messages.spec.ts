import { describe, expect, it } from 'vitest';
import { readPayload } from './payload-json.js';
import type { z } from 'zod';
import {
  commandResponseSchema,
  deviceStateMessageSchema,
  parsedCommandResponseSchema,
  parsedDeviceStateMessageSchema,
  parsedTelemetryMessageSchema,
  readCommandResponse,
  telemetryMessageSchema,
} from './wire-messages.js';

const read = (schema: z.ZodType, value: unknown) => readPayload(schema, JSON.stringify(value));

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
    { command_id: 'c9', command: 'echo', success: true, result: 'r', timestamp: 9, signature: 'kept too' },
    { command_id: 'c10', command: 'echo', success: true, timestamp: '10' },
  ];

  it('reads what JSON text carries exactly as the documented schema does', () => {
    for (const response of responses) expect(read(parsedCommandResponseSchema, response)).toEqual(read(commandResponseSchema, response));
    expect(responses.map((response) => read(parsedCommandResponseSchema, response) !== undefined)).toEqual([true, true, true, false, false, false, false, false, true, false]);
  });

  it('is what readCommandResponse gives for the same text, success or not', () => {
    for (const response of responses) {
      const text = JSON.stringify(response);
      expect(readCommandResponse(text)).toEqual(readPayload(commandResponseSchema, text));
      expect(readCommandResponse(new TextEncoder().encode(text))).toEqual(readPayload(commandResponseSchema, text));
    }
  });

  it('refuses text that is not JSON, or bytes that are not UTF-8, without throwing', () => {
    expect(readCommandResponse('{"command_id":')).toBeUndefined();
    expect(readCommandResponse(new Uint8Array([0x7b, 0xff, 0x7d]))).toBeUndefined();
  });
});

describe('parsedDeviceStateMessageSchema', () => {
  const messages: unknown[] = [
    { device_id: 'd1', state: { audio: { volume: 40 }, list: [1, { a: null }] }, version: 3, timestamp: 1, extra: 'dropped' },
    { device_id: 'd2', state: {}, version: 1, timestamp: 2 },
    { device_id: 'd3', state: [], version: 1, timestamp: 3 },
    { device_id: 'd4', state: 'playing', version: 1, timestamp: 4 },
    { device_id: 'd5', state: null, version: 1, timestamp: 5 },
    { device_id: 'd6', state: {}, version: '1', timestamp: 6 },
    { state: {}, version: 1, timestamp: 7 },
    'not an object',
  ];

  it('reads what JSON text carries exactly as the documented schema does', () => {
    for (const message of messages) expect(read(parsedDeviceStateMessageSchema, message)).toEqual(read(deviceStateMessageSchema, message));
    expect(messages.map((message) => read(parsedDeviceStateMessageSchema, message) !== undefined)).toEqual([true, true, false, false, false, false, false, false]);
  });
});

describe('parsedTelemetryMessageSchema', () => {
  const batches: unknown[] = [
    { device_id: 'd1', kind: 'metrics', records: [{ id: 'r1', data: { cpu: [1, 2] }, timestamp: 1 }, { data: 'text', timestamp: 2 }] },
    { device_id: 'd2', kind: 'metrics', records: [] },
    { device_id: 'd3', kind: 'metrics', records: [{ data: 1 }] },
    { device_id: 'd4', kind: 'metrics', records: {} },
    { device_id: 'd5', records: [] },
  ];

  it('reads what JSON text carries exactly as the documented schema does', () => {
    for (const batch of batches) expect(read(parsedTelemetryMessageSchema, batch)).toEqual(read(telemetryMessageSchema, batch));
    expect(batches.map((batch) => read(parsedTelemetryMessageSchema, batch) !== undefined)).toEqual([true, true, false, false, false]);
  });
});
