import { describe, expect, it } from 'vitest';
import {
  silentLogger,
} from '../../core/index.js';
import { encodeResponse, MQTT_PAYLOAD_LIMIT_BYTES, telemetryPayloads } from './payloads.js';

describe('AWS payloads', () => {
  it('splits a telemetry batch into as few messages as fit the 128 KB limit, in order', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({ kind: 'm', data: { i, pad: 'x'.repeat(1000) }, timestamp: i }));
    const payloads = telemetryPayloads('dev', { kind: 'm', records });
    expect(payloads.length).toBe(3);
    const decoded = payloads.map((p) => JSON.parse(p) as { device_id: string; kind: string; records: { data: { i: number } }[] });
    expect(decoded.every((message) => message.device_id === 'dev' && message.kind === 'm')).toBe(true);
    expect(decoded.flatMap((message) => message.records.map((r) => r.data.i))).toEqual(records.map((r) => r.data.i));
    for (const payload of payloads) expect(new TextEncoder().encode(payload).byteLength).toBeLessThanOrEqual(MQTT_PAYLOAD_LIMIT_BYTES);
  });

  it('refuses a single record over the limit', () => {
    expect(() => telemetryPayloads('dev', { kind: 'm', records: [{ kind: 'm', data: 'x'.repeat(140_000), timestamp: 0 }] })).toThrow(
      expect.objectContaining({ code: 'payload_too_large' }),
    );
  });

  it('turns a response too large for AWS IoT into an error response for the same command', () => {
    const text = encodeResponse({ command_id: 'c1', command: 'dump', success: true, result: 'x'.repeat(140_000), timestamp: 1 }, silentLogger);
    expect(JSON.parse(text)).toMatchObject({ command_id: 'c1', command: 'dump', success: false, error: { code: 'payload_too_large' } });
  });
});
