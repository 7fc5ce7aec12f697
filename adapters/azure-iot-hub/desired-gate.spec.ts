import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DesiredVersionGate } from './desired-gate.js';

const note = (version: number) => ({ patch: { v: version }, version });

describe('DesiredVersionGate (the reconnect flow for desired properties)', () => {
  it('holds notifications during the GET and applies only those newer than it, in order', () => {
    const gate = new DesiredVersionGate();
    gate.beginSync();
    expect(gate.offer(note(6)).apply).toEqual([]);
    expect(gate.offer(note(4)).apply).toEqual([]);
    expect(gate.offer(note(5)).apply).toEqual([]);
    const decision = gate.completeSync(5);
    expect(decision).toEqual({ apply: [note(6)], resync: false });
    expect(gate.current).toBe(6);
  });

  it('drops notifications not newer than what was applied', () => {
    const gate = new DesiredVersionGate();
    gate.beginSync();
    gate.completeSync(3);
    expect(gate.offer(note(3)).apply).toEqual([]);
    expect(gate.offer(note(2)).apply).toEqual([]);
    expect(gate.offer(note(4)).apply).toEqual([note(4)]);
  });

  it('asks for a new GET when a version was skipped', () => {
    const gate = new DesiredVersionGate();
    gate.beginSync();
    gate.completeSync(3);
    expect(gate.offer(note(5))).toEqual({ apply: [note(5)], resync: true });
  });

  it('forgets what it held when the sync is aborted', () => {
    const gate = new DesiredVersionGate();
    gate.beginSync();
    gate.offer(note(9));
    gate.abortSync();
    gate.beginSync();
    expect(gate.completeSync(2).apply).toEqual([]);
  });

  it('never applies a version twice nor goes backwards, whatever the order of arrival', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(fc.integer({ min: 0, max: 30 })), fc.integer({ min: 0, max: 10 }), (synced, arrivals, heldCount) => {
        const gate = new DesiredVersionGate();
        gate.beginSync();
        const applied: number[] = [];
        arrivals.slice(0, heldCount).forEach((v) => applied.push(...gate.offer(note(v)).apply.map((n) => n.version)));
        applied.push(...gate.completeSync(synced).apply.map((n) => n.version));
        arrivals.slice(heldCount).forEach((v) => applied.push(...gate.offer(note(v)).apply.map((n) => n.version)));
        expect(applied.every((v) => v > synced)).toBe(true);
        expect(applied).toEqual([...new Set(applied)].toSorted((a, b) => a - b));
      }),
    );
  });
});
