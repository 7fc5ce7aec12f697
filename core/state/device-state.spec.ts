import { Container } from 'inversify';
import type { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { CommandError } from '../errors.js';
import { TOKENS } from '../plugins/tokens.js';
import { DeviceState, INITIAL_DEVICE_STATE } from './device-state.js';
import type { JsonObject } from './json.js';
import type { StateChange, StateSnapshot } from './snapshot.js';

function collect<T>(subscribe: (next: (value: T) => void) => unknown): T[] {
  const values: T[] = [];
  subscribe((value) => values.push(value));
  return values;
}

describe('DeviceState', () => {
  const initial = { audio: { volume: 10, device: 'hw:0' }, playback: { status: 'stopped' } };

  it('starts at version 0 with the initial state, every leaf stamped', () => {
    const clock = new ManualClock(1_000);
    const state = new DeviceState(clock, initial);
    expect(state.version).toBe(0);
    expect(state.snapshot).toEqual({
      state: initial,
      version: 0,
      timestamp: 1_000,
      metadata: { audio: { volume: { timestamp: 1_000 }, device: { timestamp: 1_000 } }, playback: { status: { timestamp: 1_000 } } },
    });
  });

  it('drops null members of the initial state and refuses unsafe ones', () => {
    expect(new DeviceState(new ManualClock(), { a: 1, b: null }).snapshot.state).toEqual({ a: 1 });
    expect(() => new DeviceState(new ManualClock(), JSON.parse('{"__proto__": {"x": 1}}') as JsonObject)).toThrow(CommandError);
  });

  it('patch() applies the merge patch, bumps the version and returns the minimal effective patch', () => {
    const clock = new ManualClock(1_000);
    const state = new DeviceState(clock, initial);
    clock.advance(500);
    const change = state.patch({ audio: { volume: 30, device: 'hw:0' }, playback: { status: 'stopped' }, extra: null });
    expect(change?.patch).toEqual({ audio: { volume: 30 } });
    expect(change?.snapshot.version).toBe(1);
    expect(change?.snapshot.timestamp).toBe(1_500);
    expect(state.snapshot).toBe(change?.snapshot);
    expect(state.snapshot.state).toEqual({ audio: { volume: 30, device: 'hw:0' }, playback: { status: 'stopped' } });
  });

  it('stamps only the changed leaves and drops metadata of deleted keys', () => {
    const clock = new ManualClock(1_000);
    const state = new DeviceState(clock, initial);
    clock.advance(100);
    state.patch({ audio: { volume: 30 }, playback: null, playlists: ['a', 'b'], system: { version: '1' } });
    expect(state.snapshot.metadata).toEqual({
      audio: { volume: { timestamp: 1_100 }, device: { timestamp: 1_000 } },
      playlists: { timestamp: 1_100 },
      system: { version: { timestamp: 1_100 } },
    });
    clock.advance(100);
    // A leaf becoming an object and an object becoming a leaf.
    state.patch({ playlists: { count: 2 }, system: 'down' });
    expect(state.snapshot.metadata).toMatchObject({
      playlists: { count: { timestamp: 1_200 } },
      system: { timestamp: 1_200 },
    });
    expect(state.snapshot.metadata['playlists']).not.toHaveProperty('timestamp');
  });

  it("an older snapshot's metadata stays its own after later changes, and JSON carries it", () => {
    const clock = new ManualClock(1_000);
    const state = new DeviceState(clock, initial);
    clock.advance(100);
    const first = state.patch({ audio: { volume: 30 } })!.snapshot;
    clock.advance(100);
    state.patch({ audio: { volume: 40, device: 'hw:1' } });
    expect(first.metadata).toEqual({
      audio: { volume: { timestamp: 1_100 }, device: { timestamp: 1_000 } },
      playback: { status: { timestamp: 1_000 } },
    });
    expect(state.snapshot.metadata['audio']).toEqual({ volume: { timestamp: 1_200 }, device: { timestamp: 1_200 } });
    expect(state.snapshot.metadata).toBe(state.snapshot.metadata);
    expect(JSON.parse(JSON.stringify(first))).toEqual({ state: first.state, version: 1, timestamp: 1_100, metadata: first.metadata });
  });

  it('emits nothing and keeps the version when a patch changes nothing', () => {
    const state = new DeviceState(new ManualClock(), initial);
    const snapshots = collect<StateSnapshot>((next) => state.reported$.subscribe(next));
    const changes = collect<StateChange>((next) => state.changes$.subscribe(next));
    expect(state.patch({ audio: { volume: 10 }, missing: null })).toBeUndefined();
    expect(state.patch({})).toBeUndefined();
    expect(snapshots).toHaveLength(1); // the replayed current snapshot only
    expect(changes).toHaveLength(0);
    expect(state.version).toBe(0);
  });

  it('reported$ replays the current snapshot to late subscribers and emits every change once', () => {
    const state = new DeviceState(new ManualClock(), initial);
    state.patch({ audio: { volume: 11 } });
    const versions = collect<StateSnapshot>((next) => state.reported$.subscribe(next));
    expect(versions.map((s) => s.version)).toEqual([1]);
    state.patch({ audio: { volume: 12 } });
    state.patch({ audio: { volume: 13 } });
    expect(versions.map((s) => s.version)).toEqual([1, 2, 3]);
  });

  it('reported$ is read-only (not the subject itself)', () => {
    const state = new DeviceState(new ManualClock(), initial);
    expect('next' in state.reported$).toBe(false);
  });

  it('snapshots are deeply frozen and share unchanged subtrees', () => {
    const state = new DeviceState(new ManualClock(), initial);
    const before = state.snapshot;
    state.patch({ audio: { volume: 50 } });
    const after = state.snapshot;
    expect(after.state['playback']).toBe(before.state['playback']);
    expect(Object.isFrozen(after)).toBe(true);
    expect(Object.isFrozen(after.state['audio'])).toBe(true);
    expect(Object.isFrozen(after.metadata)).toBe(true);
    expect(() => {
      (after.state as Record<string, unknown>)['audio'] = 1;
    }).toThrow(TypeError);
  });

  it('refuses unsafe patches without changing anything', () => {
    const state = new DeviceState(new ManualClock(), initial);
    expect(() => state.patch(JSON.parse('{"audio": {"constructor": {"prototype": {"x": 1}}}}') as JsonObject)).toThrow(
      expect.objectContaining({ code: 'invalid_params', details: { field: 'audio.constructor', reason: 'unsafe_key' } }),
    );
    expect(state.version).toBe(0);
  });

  describe('desired$ and delta$', () => {
    it('start empty and replay to late subscribers', () => {
      const state = new DeviceState(new ManualClock(), initial);
      expect(collect<JsonObject>((next) => state.desired$.subscribe(next))).toEqual([{}]);
      expect(collect<JsonObject>((next) => state.delta$.subscribe(next))).toEqual([{}]);
    });

    it('delta is desired minus reported, recursively, and follows both sides', () => {
      const state = new DeviceState(new ManualClock(), initial);
      const deltas = collect<JsonObject>((next) => state.delta$.subscribe(next));
      state.setDesired({ audio: { volume: 40, device: 'hw:0' }, playback: { status: 'stopped' } });
      expect(deltas.at(-1)).toEqual({ audio: { volume: 40 } });
      state.patch({ audio: { volume: 40 } });
      expect(deltas.at(-1)).toEqual({});
      expect(deltas).toEqual([{}, { audio: { volume: 40 } }, {}]);
    });

    it('delta includes desired keys the reported state lacks, whole objects included', () => {
      const state = new DeviceState(new ManualClock(), initial);
      state.setDesired({ eq: { bass: 3 }, playlists: ['x'], playback: { status: 'playing' } });
      expect(state.desiredState).toEqual({ eq: { bass: 3 }, playlists: ['x'], playback: { status: 'playing' } });
      const deltas = collect<JsonObject>((next) => state.delta$.subscribe(next));
      expect(deltas).toEqual([{ eq: { bass: 3 }, playlists: ['x'], playback: { status: 'playing' } }]);
    });

    it('emits delta only when it changes', () => {
      const state = new DeviceState(new ManualClock(), initial);
      state.setDesired({ audio: { volume: 40 } });
      const deltas = collect<JsonObject>((next) => state.delta$.subscribe(next));
      state.patch({ playback: { status: 'playing' } }); // unrelated reported change
      state.setDesired({ other: null }); // desired unchanged
      state.setDesired({ playback: { status: 'playing' } }); // desired changes, delta does not
      expect(deltas).toEqual([{ audio: { volume: 40 } }]);
    });

    it('setDesired merges, deletes with null, and replaces when full', () => {
      const state = new DeviceState(new ManualClock(), initial);
      const desired = collect<JsonObject>((next) => state.desired$.subscribe(next));
      state.setDesired({ audio: { volume: 40 }, eq: 1 });
      state.setDesired({ eq: null });
      state.setDesired({ playback: { status: 'playing' } }, true);
      state.setDesired({ playback: { status: 'playing' } }, true); // no change, no emission
      expect(desired).toEqual([{}, { audio: { volume: 40 }, eq: 1 }, { audio: { volume: 40 } }, { playback: { status: 'playing' } }]);
    });

    it('ignores a desired null (it asks for nothing)', () => {
      const state = new DeviceState(new ManualClock(), initial);
      state.setDesired({ audio: { volume: null, device: 'hw:1' } });
      expect(collect<JsonObject>((next) => state.delta$.subscribe(next))).toEqual([{ audio: { device: 'hw:1' } }]);
    });
  });

  it('dispose() completes every stream', () => {
    const state = new DeviceState(new ManualClock(), initial);
    const completed: string[] = [];
    const streams: Record<string, Observable<unknown>> = {
      reported: state.reported$,
      changes: state.changes$,
      desired: state.desired$,
      delta: state.delta$,
    };
    for (const [name, stream] of Object.entries(streams)) {
      stream.subscribe({ complete: () => completed.push(name) });
    }
    state.dispose();
    expect(completed).toEqual(['reported', 'changes', 'desired', 'delta']);
  });

  it('a stream first watched after changes starts from the current values', () => {
    // The streams are made on first use (a fleet's agents are rarely watched).
    const state = new DeviceState(new ManualClock(), initial);
    state.patch({ audio: { volume: 20 } });
    state.setDesired({ audio: { volume: 30 } });
    expect(collect<StateSnapshot>((next) => state.reported$.subscribe(next)).map((s) => s.version)).toEqual([1]);
    expect(collect<JsonObject>((next) => state.desired$.subscribe(next))).toEqual([{ audio: { volume: 30 } }]);
    expect(collect<JsonObject>((next) => state.delta$.subscribe(next))).toEqual([{ audio: { volume: 30 } }]);
    const changes = collect<StateChange>((next) => state.changes$.subscribe(next));
    state.patch({ audio: { volume: 30 } });
    expect(changes.map((c) => c.patch)).toEqual([{ audio: { volume: 30 } }]);
  });

  it('a stream first watched after dispose() completes at once', () => {
    const state = new DeviceState(new ManualClock(), initial);
    state.dispose();
    const completed: string[] = [];
    const streams: Record<string, Observable<unknown>> = { reported: state.reported$, changes: state.changes$, desired: state.desired$, delta: state.delta$ };
    for (const [name, stream] of Object.entries(streams)) {
      stream.subscribe({ complete: () => completed.push(name) });
    }
    expect(completed).toEqual(['reported', 'changes', 'desired', 'delta']);
  });

  describe('dependency injection', () => {
    it('resolves with the bound clock and initial state', () => {
      const container = new Container();
      const clock = new ManualClock(42);
      container.bind(TOKENS.Clock).toConstantValue(clock);
      container.bind(INITIAL_DEVICE_STATE).toConstantValue({ a: 1 });
      container.bind(DeviceState).toSelf();
      const state = container.get(DeviceState);
      expect(state.snapshot).toMatchObject({ state: { a: 1 }, timestamp: 42 });
    });

    it('falls back to the system clock and an empty state when nothing is bound', () => {
      const container = new Container();
      container.bind(DeviceState).toSelf();
      const state = container.get(DeviceState);
      expect(state.snapshot.state).toEqual({});
      expect(Math.abs(state.snapshot.timestamp - Date.now())).toBeLessThan(60_000);
    });
  });
});
