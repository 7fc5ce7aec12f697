import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { AncHeadset, type HeadsetEvent } from './headset.js';
import { reconcileHeadset } from './headset-profile.js';

describe('AncHeadset', () => {
  it('drains faster with ANC on, charges when plugged in, and stops with stop()', () => {
    const clock = new ManualClock();
    const headset = new AncHeadset({ clock, batteryStepMs: 1_000 });
    headset.start();
    clock.advance(2_000);
    expect(headset.state.battery.level).toBe(98);
    headset.setAncMode('on');
    clock.advance(2_000);
    expect(headset.state.battery.level).toBe(94);
    headset.setCharging(true);
    clock.advance(3_000);
    expect(headset.state.battery).toEqual({ level: 100, charging: true });
    headset.stop();
    expect(clock.pending).toBe(0);
  });

  it('raises battery_critical once per discharge, again only after charging above the threshold', () => {
    const clock = new ManualClock();
    const headset = new AncHeadset({ clock, batteryStepMs: 1_000, initial: { anc: { mode: 'off', level: 5 }, battery: { level: 7, charging: false } } });
    const events: HeadsetEvent[] = [];
    headset.events$.subscribe((event) => events.push(event));
    headset.start();
    clock.advance(5_000);
    expect(events).toEqual([{ type: 'battery_critical', level: 5 }]);
    headset.setCharging(true);
    clock.advance(1_000);
    headset.setCharging(false);
    clock.advance(7_000);
    expect(events).toEqual([
      { type: 'battery_critical', level: 5 },
      { type: 'battery_critical', level: 5 },
    ]);
    expect(headset.state.battery.level).toBe(0);
  });

  it('refuses a level while ANC is off with a conflict', () => {
    const headset = new AncHeadset();
    expect(() => headset.setAncLevel(3)).toThrow(expect.objectContaining({ code: 'conflict' }));
    headset.setAncMode('transparency');
    headset.setAncLevel(3);
    expect(headset.state.anc).toEqual({ mode: 'transparency', level: 3 });
  });
});

describe('reconcileHeadset', () => {
  it('sets the mode before the level, and skips what it cannot read', () => {
    expect(reconcileHeadset({ anc: { level: 4, mode: 'on' } })).toEqual([
      { command: 'setAncMode', params: { mode: 'on' } },
      { command: 'setAncLevel', params: { level: 4 } },
    ]);
    expect(reconcileHeadset({ anc: { mode: 7, level: 'high' } })).toEqual([]);
    expect(reconcileHeadset({ battery: { level: 100 } })).toEqual([]);
  });
});
