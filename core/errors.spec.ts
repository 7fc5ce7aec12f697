import { describe, expect, it } from 'vitest';
import {
  AmoraError,
  AuthenticationError,
  CommandError,
  ConfigError,
  isAmoraError,
  PluginLoadError,
  TimeoutError,
  toErrorObject,
  TransportError,
} from './errors.js';

describe('AmoraError family', () => {
  it('toJSON() gives the wire form, with details only when present', () => {
    expect(new AmoraError('busy', 'player busy').toJSON()).toEqual({ code: 'busy', message: 'player busy' });
    expect(new AmoraError('busy', 'player busy').toJSON()).not.toHaveProperty('details');
    expect(new CommandError('invalid_params', 'bad', { details: { field: 'volume' } }).toJSON()).toEqual({
      code: 'invalid_params',
      message: 'bad',
      details: { field: 'volume' },
    });
    expect(JSON.parse(JSON.stringify(new TimeoutError('late')))).toEqual({ code: 'timeout', message: 'late' });
  });

  it.each([
    [new CommandError('conflict', 'x'), CommandError, 'CommandError', 'conflict'],
    [new TimeoutError('x'), TimeoutError, 'TimeoutError', 'timeout'],
    [new ConfigError('x'), ConfigError, 'ConfigError', 'config_invalid'],
    [new PluginLoadError('p', 'k', 'x'), PluginLoadError, 'PluginLoadError', 'plugin_load_failed'],
    [new AuthenticationError('x'), AuthenticationError, 'AuthenticationError', 'authentication_failed'],
    [new TransportError('transport_failed', 'x'), TransportError, 'TransportError', 'transport_failed'],
  ] as const)('%s keeps the instanceof chain, its name and its code', (error, type, name, code) => {
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(AmoraError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(String(error)).toBe(`${name}: ${error.message}`);
    expect(error.stack).toContain(name);
  });

  it('subclasses are not instances of their siblings', () => {
    expect(new TimeoutError('x')).not.toBeInstanceOf(CommandError);
    expect(new AuthenticationError('x')).not.toBeInstanceOf(TransportError);
  });

  it('carries an ES2022 cause, and none when not given', () => {
    const root = new Error('socket hang up');
    const error = new TransportError('transport_failed', 'publish failed', { cause: root });
    expect(error.cause).toBe(root);
    expect('cause' in new TransportError('transport_failed', 'x')).toBe(false);
    // The cause stays out of the wire form: it may hold internals.
    expect(error.toJSON()).toEqual({ code: 'transport_failed', message: 'publish failed' });
  });

  it('PluginLoadError names the plugin and kind in its message', () => {
    const error = new PluginLoadError('amora-nats', 'nats', 'module not found');
    expect(error.message).toBe('plugin "amora-nats" kind "nats": module not found');
    expect(error.plugin).toBe('amora-nats');
    expect(error.kind).toBe('nats');
    expect(new PluginLoadError('p', undefined, 'bad').message).toBe('plugin "p": bad');
  });

  describe('isAmoraError', () => {
    it('accepts the family', () => {
      expect(isAmoraError(new AmoraError('busy', 'x'))).toBe(true);
      expect(isAmoraError(new TimeoutError('x'))).toBe(true);
    });

    it('accepts a look-alike from another copy of the package', () => {
      class ForeignAmoraError extends Error {
        readonly code = 'busy';
        toJSON() {
          return { code: this.code, message: this.message };
        }
      }
      expect(isAmoraError(new ForeignAmoraError('x'))).toBe(true);
    });

    it('refuses plain errors, Node system errors and non-errors', () => {
      const systemError = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      expect(isAmoraError(new Error('x'))).toBe(false);
      expect(isAmoraError(systemError)).toBe(false);
      expect(isAmoraError({ code: 'busy', message: 'x', toJSON: () => ({}) })).toBe(false);
      expect(isAmoraError(undefined)).toBe(false);
      expect(isAmoraError('busy')).toBe(false);
    });
  });

  describe('toErrorObject', () => {
    it('uses the wire form of the family', () => {
      expect(toErrorObject(new CommandError('not_found', 'no such playlist'))).toEqual({ code: 'not_found', message: 'no such playlist' });
    });

    it('wraps anything else with the fallback code and the message only', () => {
      const result = toErrorObject(new TypeError('x is undefined'));
      expect(result).toEqual({ code: 'handler_failed', message: 'x is undefined' });
      expect(toErrorObject('plain', 'transport_failed')).toEqual({ code: 'transport_failed', message: 'plain' });
      expect(toErrorObject(42)).toEqual({ code: 'handler_failed', message: '42' });
    });
  });
});
