import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../core/index.js';
import { resolveStateDir } from './state-dir.js';

const base = { device: { id: 'player-001' }, transports: [{ kind: 'mqtt', url: 'mqtt://localhost:1883' }] };

describe('resolveStateDir', () => {
  it('takes --state-dir first, then the config (relative to its folder), then XDG_STATE_HOME, then the config folder, then ~/.local/state', () => {
    const config = parseConfig({ ...base, stateDir: 'var/amora' }, { baseDir: '/etc/amora' });
    expect(resolveStateDir({ flag: '/data/x', config, env: {} })).toBe(resolve('/data/x'));
    expect(resolveStateDir({ config, env: { XDG_STATE_HOME: '/xdg' } })).toBe('/etc/amora/var/amora');
    const plain = parseConfig(base, { baseDir: '/etc/amora' });
    expect(resolveStateDir({ config: plain, configPath: '/etc/amora/agent.yaml', env: { XDG_STATE_HOME: '/xdg' } })).toBe('/xdg/amora-sync/player-001');
    expect(resolveStateDir({ config: plain, configPath: '/etc/amora/agent.yaml', env: {} })).toBe('/etc/amora/state/player-001');
    expect(resolveStateDir({ config: plain, env: {} })).toBe(join(homedir(), '.local', 'state', 'amora-sync', 'player-001'));
  });

  it('keeps nothing with --no-state-dir or stateDir: false', () => {
    expect(resolveStateDir({ flag: false, config: parseConfig(base), env: {} })).toBeUndefined();
    expect(resolveStateDir({ config: parseConfig({ ...base, stateDir: false }), env: {} })).toBeUndefined();
  });
});
