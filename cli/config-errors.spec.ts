import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  PluginLoadError,
  type AgentConfig,
} from '../core/index.js';
import { locatePluginError } from './config-errors.js';
import { CliError, EXIT } from './exit-codes.js';

const config = {
  device: { id: 'dev', profile: 'player' },
  player: { kind: 'virtual' },
  transports: [{ kind: 'mqtt', url: 'mqtt://a' }, { kind: 'azure-iot-hub' }, { kind: 'mqtt', url: 'mqtt://b' }],
} as AgentConfig;

const invalid = (kind: string) => new PluginLoadError(`amora-${kind}`, kind, 'invalid options: url: expected a URL');

describe('locatePluginError', () => {
  it('names the file and the section of the kind whose options are invalid', () => {
    const error = locatePluginError(invalid('azure-iot-hub'), config, 'agent.yaml');
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.usage);
    expect((error as Error).message).toBe(`${resolve('agent.yaml')}: transports[1]: plugin "amora-azure-iot-hub" kind "azure-iot-hub": invalid options: url: expected a URL`);
  });

  it('names the player section', () => {
    expect((locatePluginError(invalid('virtual'), config, 'agent.yaml') as Error).message).toContain(': player: plugin "amora-virtual"');
  });

  it('lists every section of the kind when there are several, or just the one asked about', () => {
    expect((locatePluginError(invalid('mqtt'), config, undefined) as Error).message).toMatch(/^transports\[0\] or transports\[2\]: /);
    expect((locatePluginError(invalid('mqtt'), config, undefined, 'transports[2]') as Error).message).toMatch(/^transports\[2\]: /);
  });

  it('leaves other errors, and plugin errors it cannot place, as they are', () => {
    const other = new ConfigError('bad');
    expect(locatePluginError(other, config, 'agent.yaml')).toBe(other);
    const unplaced = new PluginLoadError('./my-plugin.js', undefined, 'cannot import module');
    expect(locatePluginError(unplaced, config, undefined)).toBe(unplaced);
  });
});
