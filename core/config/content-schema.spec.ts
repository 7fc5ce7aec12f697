import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseConfig } from './parse.js';

const base = { device: { id: 'p1' }, transports: [{ kind: 'mqtt', url: 'mqtt://localhost' }] };

function messageOf(raw: object): string {
  try {
    parseConfig({ ...base, ...raw }, { env: {} });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
  throw new Error('expected a ConfigError');
}

describe('content and system.reboot config', () => {
  it('fills the defaults and takes numbers and booleans from strings', () => {
    const config = parseConfig(
      { ...base, content: { storage_path: '/music', sync_enabled: 'true', sync_interval_s: '600', source: { kind: 'https-manifest', url: 'https://cdn.example/m.json' } } },
      { env: {} },
    );
    expect(config.content).toEqual({
      storage_path: '/music',
      source: { kind: 'https-manifest', url: 'https://cdn.example/m.json' },
      delete_removed: true,
      sync_enabled: true,
      sync_interval_s: 600,
      sync_timeout_ms: 600_000,
    });
  });

  it('names the bad key of a source', () => {
    expect(messageOf({ content: { storage_path: '/m', source: { kind: 'ftp' } } })).toMatch(/content\.source.*azure-blob", "s3" or "https-manifest"/s);
    expect(messageOf({ content: { storage_path: '/m', source: { kind: 's3', bucket: 'b', secret: 'x' } } })).toMatch(/content\.source.*secret/s);
    expect(messageOf({ content: { storage_path: '/m', source: { kind: 'azure-blob', container: 'c' } } })).toMatch(/exactly one of connection_string or sas_url/);
    expect(messageOf({ content: { storage_path: '/m', source: { kind: 'azure-blob', connection_string: 'x' } } })).toMatch(/container name with connection_string/);
  });

  it('takes a reboot command as a list, and refuses a string (it would need a shell)', () => {
    expect(parseConfig({ ...base, system: { reboot: { command: ['systemctl', 'reboot'] } } }, { env: {} }).system?.reboot).toEqual({ command: ['systemctl', 'reboot'] });
    expect(messageOf({ system: { reboot: { command: 'systemctl reboot' } } })).toMatch(/system\.reboot\.command/);
  });
});
