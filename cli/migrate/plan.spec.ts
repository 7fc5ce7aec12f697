import { describe, expect, it } from 'vitest';
import { deviceFilter } from './device-filter.js';
import type { SourceFleet } from './fleet.js';
import { buildPlan, renderPlan } from './plan.js';

const fleet: SourceFleet = {
  cloud: 'azure',
  where: 'hub.example',
  devices: [
    { id: 'player-001', desired: { audio: { volume: 20 } }, tags: { site: 'a' } },
    { id: 'player-002', desired: {}, tags: { nested: { x: 1 } } },
    { id: 'lobby.1', desired: {}, tags: {} },
  ],
};

describe('buildPlan', () => {
  it('plans every device selected, with totals and the command mapping of the target', () => {
    const plan = buildPlan(fleet, { to: 'aws' });
    expect(plan.totals).toEqual({ devices: 3, blocked: 1, withDropped: 1 });
    expect(plan.commands[0]).toBe('command: direct method NAME with a JSON payload -> {"command":"NAME","params":{...},"command_id":"..."} published on amora/devices/{thing}/commands');
    const text = renderPlan(plan);
    expect(text).toContain('player-001: desired audio; attributes: site');
    expect(text).toContain('blocked: "lobby.1" is not a valid thing name');
  });

  it('applies the --devices filter and maps AWS back to IoT Hub with a named shadow', () => {
    const plan = buildPlan({ ...fleet, cloud: 'aws' }, { to: 'azure', include: deviceFilter('player-00?'), shadowName: 'player' });
    expect(plan.devices.map((device) => device.id)).toEqual(['player-001', 'player-002']);
    expect(plan.commands[2]).toBe('desired state: named shadow "player" state.desired -> twin desired properties');
  });

  it('refuses a migration onto the same cloud', () => {
    expect(() => buildPlan(fleet, { to: 'azure' })).toThrow('--from and --to are both azure');
  });
});

describe('deviceFilter', () => {
  it('selects ids and globs from a comma-separated list, everything without one', () => {
    const pick = deviceFilter(' player-0*, lobby-3 ');
    expect(['player-001', 'player-1', 'lobby-3', 'lobby-30', 'a.b'].filter(pick)).toEqual(['player-001', 'lobby-3']);
    expect(deviceFilter('a.b')('axb')).toBe(false);
    expect(deviceFilter(undefined)('anything')).toBe(true);
  });
});
