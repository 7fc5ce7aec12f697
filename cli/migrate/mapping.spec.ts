import { describe, expect, it } from 'vitest';
import { planDevice } from './mapping.js';

const kib = (n: number): string => 'x'.repeat(n * 1024);

describe('planDevice: IoT Hub to AWS', () => {
  it('copies twin desired to shadow desired and flat tags to thing attributes', () => {
    const plan = planDevice({ id: 'player-001', desired: { audio: { volume: 30 } }, tags: { site: 'lobby', floor: 3 } }, 'aws');
    expect(plan.desired).toEqual({ audio: { volume: 30 } });
    expect(plan.attributes).toEqual({ site: 'lobby', floor: '3' });
    expect(plan.findings).toEqual([]);
    expect(plan.unmapped).toBeUndefined();
  });

  it('keeps tags a thing attribute cannot hold in unmapped, each named', () => {
    const plan = planDevice({ id: 'p', desired: {}, tags: { location: { building: 'A' }, 'has space': 'x', a: '1', b: '2', c: '3', d: '4' } }, 'aws');
    expect(plan.attributes).toEqual({ a: '1', b: '2', c: '3' });
    expect(plan.unmapped).toEqual({ tags: { location: { building: 'A' }, 'has space': 'x', d: '4' } });
    expect(plan.findings.map((finding) => finding.subject)).toEqual(['tags.location', 'tags.has space', 'tags.d']);
    expect(plan.findings.every((finding) => finding.level === 'dropped')).toBe(true);
  });

  it('takes the largest desired sections out until the rest fits the 8 KiB shadow, naming them', () => {
    const plan = planDevice({ id: 'p', desired: { small: 1, artwork: kib(6), schedule: kib(3) }, tags: {} }, 'aws');
    expect(Object.keys(plan.desired)).toEqual(['small', 'schedule']);
    expect(plan.unmapped).toEqual({ desired: { artwork: kib(6) } });
    expect(plan.findings).toEqual([expect.objectContaining({ level: 'dropped', subject: 'desired.artwork', message: expect.stringContaining('8192-byte shadow') })]);
  });

  it('blocks a device whose id is no thing name', () => {
    const plan = planDevice({ id: 'player.001', desired: {}, tags: {} }, 'aws');
    expect(plan.findings).toEqual([expect.objectContaining({ level: 'blocked', fix: expect.stringContaining('rename') })]);
  });
});

describe('planDevice: AWS to IoT Hub', () => {
  it('copies shadow desired to twin desired and attributes to tags', () => {
    const plan = planDevice({ id: 'anc-001', desired: { anc: { mode: 'on' } }, attributes: { site: 'hq' } }, 'azure');
    expect(plan).toEqual({ id: 'anc-001', desired: { anc: { mode: 'on' } }, tags: { site: 'hq' }, findings: [] });
  });

  it('leaves out sections IoT Hub refuses for their names, and sections over 32 KiB', () => {
    const plan = planDevice({ id: 'p', desired: { ok: true, 'bad.name': 1, huge: kib(40) } }, 'azure');
    expect(plan.desired).toEqual({ ok: true });
    expect(plan.unmapped).toEqual({ desired: { huge: kib(40), 'bad.name': 1 } });
    expect(plan.findings.map((finding) => finding.subject)).toEqual(['desired.huge', 'desired.bad.name']);
  });
});
