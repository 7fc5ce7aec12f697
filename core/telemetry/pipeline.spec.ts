import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AmoraError } from '../errors.js';
import { TelemetryPipeline, type TelemetryPipelineOptions } from './pipeline.js';
import type { TelemetryBatch } from './types.js';

const START = 5_000;

function setup(options: Omit<TelemetryPipelineOptions, 'clock'> = {}) {
  const clock = new ManualClock(START);
  const pipeline = new TelemetryPipeline({ clock, ...options });
  const batches: TelemetryBatch[] = [];
  let completed = false;
  pipeline.batches$.subscribe({ next: (batch) => batches.push(batch), complete: () => (completed = true) });
  return { clock, pipeline, batches, isCompleted: () => completed };
}

describe('TelemetryPipeline', () => {
  it('sends a batch as soon as it is full', () => {
    const { pipeline, batches } = setup({ batchSize: 3, batchIntervalMs: 1_000 });
    pipeline.emit('metrics', 1);
    pipeline.emit('metrics', 2);
    expect(batches).toHaveLength(0);
    pipeline.emit('metrics', 3);
    expect(batches).toEqual([
      {
        kind: 'metrics',
        records: [1, 2, 3].map((data) => ({ id: expect.any(String), kind: 'metrics', data, timestamp: START })),
      },
    ]);
  });

  it('gives every record an id unique within the run and across pipelines (runs)', () => {
    const first = setup({ batchSize: 1_000 });
    const second = setup({ batchSize: 1_000 });
    for (let i = 0; i < 500; i++) {
      first.pipeline.emit('metrics', i);
      second.pipeline.emit('metrics', i);
    }
    first.pipeline.flush();
    second.pipeline.flush();
    const ids = [...first.batches, ...second.batches].flatMap((batch) => batch.records.map((record) => record.id));
    expect(ids).toHaveLength(1_000);
    expect(new Set(ids).size).toBe(1_000);
  });

  it('sends a partial batch when the interval since its first record elapses', () => {
    const { pipeline, batches, clock } = setup({ batchSize: 10, batchIntervalMs: 1_000 });
    pipeline.emit('metrics', { cpu: 1 });
    clock.advance(600);
    pipeline.emit('metrics', { cpu: 2 });
    clock.advance(399);
    expect(batches).toHaveLength(0);
    clock.advance(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.records.map((r) => r.timestamp)).toEqual([START, START + 600]);
    // The next record opens a fresh interval.
    pipeline.emit('metrics', { cpu: 3 });
    clock.advance(999);
    expect(batches).toHaveLength(1);
    clock.advance(1);
    expect(batches).toHaveLength(2);
  });

  it('groups records per kind, each with its own size and timer', () => {
    const { pipeline, batches, clock } = setup({ batchSize: 2, batchIntervalMs: 100 });
    pipeline.emit('playerStatus', 'playing');
    pipeline.emit('metrics', 1);
    pipeline.emit('metrics', 2);
    expect(batches.map((b) => [b.kind, b.records.length])).toEqual([['metrics', 2]]);
    clock.advance(100);
    expect(batches.map((b) => [b.kind, b.records.length])).toEqual([
      ['metrics', 2],
      ['playerStatus', 1],
    ]);
  });

  it('leaves no timer behind after a full batch or a flush', () => {
    const { pipeline, clock } = setup({ batchSize: 1 });
    pipeline.emit('metrics', 1);
    expect(clock.pending).toBe(0);
    const second = setup({ batchSize: 5 });
    second.pipeline.emit('a', 1);
    second.pipeline.emit('b', 1);
    expect(second.clock.pending).toBe(2);
    second.pipeline.flush();
    expect(second.clock.pending).toBe(0);
  });

  it('flush() sends everything pending now, and nothing when empty', () => {
    const { pipeline, batches } = setup({ batchSize: 10 });
    pipeline.flush();
    expect(batches).toHaveLength(0);
    pipeline.emit('a', 1);
    pipeline.emit('b', 2);
    pipeline.flush();
    expect(batches.map((b) => b.kind).toSorted()).toEqual(['a', 'b']);
  });

  it('stop() flushes, completes, and ignores later records', () => {
    const { pipeline, batches, clock, isCompleted } = setup({ batchSize: 10 });
    pipeline.emit('metrics', 1);
    pipeline.stop();
    expect(batches).toHaveLength(1);
    expect(isCompleted()).toBe(true);
    pipeline.emit('metrics', 2);
    clock.advance(10_000);
    expect(batches).toHaveLength(1);
    expect(() => pipeline.stop()).not.toThrow();
  });

  it('uses defaults of 50 records and 1 second', () => {
    const { pipeline, batches, clock } = setup();
    for (let i = 0; i < 49; i++) pipeline.emit('m', i);
    expect(batches).toHaveLength(0);
    pipeline.emit('m', 49);
    expect(batches[0]?.records).toHaveLength(50);
    pipeline.emit('m', 50);
    clock.advance(1_000);
    expect(batches).toHaveLength(2);
  });

  it.each(['', 'a/b', 'a+', '#', 'with space', 'x'.repeat(65)])('refuses the kind %j, which cannot be a topic level', (kind) => {
    const { pipeline } = setup();
    expect(() => pipeline.emit(kind, 1)).toThrow(AmoraError);
  });
});
