import { describe, expect, it } from 'vitest';
import {
  type JsonObject,
} from '../../core/index.js';
import { IOT_HUB_LIMITS, twinSectionProblem } from './limits.js';
import { encodeTelemetry } from './telemetry-message.js';

function nested(depth: number): JsonObject {
  let value: JsonObject = { leaf: 1 };
  for (let i = 0; i < depth; i++) value = { [`level${i}`]: value };
  return value;
}

describe('twin section limits', () => {
  it('accept the player profile shape', () => {
    expect(twinSectionProblem({ audio: { volume: 40, device: null }, playback: { status: 'playing' }, playlists: ['A', 'B'] })).toBeUndefined();
  });

  it('refuse more than 32 KB, naming the size', () => {
    expect(twinSectionProblem({ blob: 'x'.repeat(IOT_HUB_LIMITS.twinSectionBytes) })).toMatch(/over the 32768 byte limit/);
  });

  it('refuse objects nested deeper than 10 levels', () => {
    expect(twinSectionProblem(nested(10))).toBeUndefined();
    expect(twinSectionProblem(nested(11))).toMatch(/deeper than 10/);
  });

  it('refuse names IoT Hub refuses', () => {
    for (const key of ['a.b', '$version', 'with space', 'tab\t']) expect(twinSectionProblem({ [key]: 1 })).toMatch(/refuses/);
    expect(twinSectionProblem({ ok: [{ 'in.array': 1 }] })).toMatch(/ok\[0\]\.in\.array/);
  });
});

function record(n: number, size = 10) {
  return { kind: 'metrics', data: { n, pad: 'p'.repeat(size) }, timestamp: n };
}

function status(volume: number) {
  return {
    kind: 'playerStatus',
    data: { messageType: 'playerStatus', deviceId: 'agent-id', timestamp: '2026-01-01T00:00:00Z', status: { state: 'playing', volume } },
    timestamp: 1,
  };
}

describe('telemetry encoding', () => {
  it('sends a batch as one message when it fits', () => {
    const bodies = encodeTelemetry('d1', { kind: 'metrics', records: [record(1), record(2)] });
    expect(bodies.map((body) => JSON.parse(body))).toEqual([
      { device_id: 'd1', kind: 'metrics', records: [{ data: { n: 1, pad: 'p'.repeat(10) }, timestamp: 1 }, { data: { n: 2, pad: 'p'.repeat(10) }, timestamp: 2 }] },
    ]);
  });

  it('splits a batch over the limit, keeping order, each part within it', () => {
    const records = Array.from({ length: 9 }, (_, i) => record(i, 100));
    const bodies = encodeTelemetry('d1', { kind: 'metrics', records }, 600);
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((body) => Buffer.byteLength(body) <= 600)).toBe(true);
    expect(bodies.flatMap((body) => JSON.parse(body).records.map((r: { timestamp: number }) => r.timestamp))).toEqual(records.map((r) => r.timestamp));
  });

  it('sends each self-contained message (the guide\'s playerStatus) as its own body, naming the hub identity', () => {
    const bodies = encodeTelemetry('hub-id', { kind: 'playerStatus', records: [status(10), status(20)] });
    expect(bodies.map((body) => JSON.parse(body))).toEqual([
      { messageType: 'playerStatus', deviceId: 'hub-id', timestamp: '2026-01-01T00:00:00Z', status: { state: 'playing', volume: 10 } },
      { messageType: 'playerStatus', deviceId: 'hub-id', timestamp: '2026-01-01T00:00:00Z', status: { state: 'playing', volume: 20 } },
    ]);
  });

  it('refuses a single record over the limit', () => {
    expect(() => encodeTelemetry('d1', { kind: 'metrics', records: [record(1, 2_000)] }, 600)).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
  });
});
