import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  AmoraError,
  AuthenticationError,
  ConfigError,
  PluginLoadError,
  TimeoutError,
  TransportError,
} from '../core/index.js';
import { CliError, EXIT } from './exit-codes.js';
import { describeError, failureOf } from './failure.js';

describe('failureOf', () => {
  it('exits 0 without a message after commander printed help or the version', () => {
    expect(failureOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({ exitCode: 0 });
    expect(failureOf(new CommanderError(0, 'commander.version', '1.0.0'))).toEqual({ exitCode: 0 });
  });

  it('turns commander usage errors, which it already printed, into exit status 2', () => {
    expect(failureOf(new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'x'"))).toEqual({ exitCode: EXIT.usage });
    expect(failureOf(new CommanderError(1, 'commander.help', '(outputHelp)'))).toEqual({ exitCode: EXIT.usage });
  });

  it('keeps the exit status a CliError chose', () => {
    expect(failureOf(new CliError('cannot reach mqtt://h:1', EXIT.unreachable))).toEqual({ exitCode: 3, message: 'amora: cannot reach mqtt://h:1' });
    expect(failureOf(new CliError('expected key=value'))).toEqual({ exitCode: 2, message: 'amora: expected key=value' });
  });

  it.each([
    [new ConfigError('config.yaml: invalid configuration: device.id: expected a string'), EXIT.usage],
    [new PluginLoadError('amora-mqtt', 'mqtt', 'invalid options: url: expected a URL'), EXIT.usage],
    [new TimeoutError('no answer'), EXIT.timeout],
    [new TransportError('unavailable', 'broker down'), EXIT.unreachable],
    [new AuthenticationError('bad password'), EXIT.unreachable],
    [new AmoraError('handler_failed', 'boom'), EXIT.commandFailed],
    [new Error('anything else'), EXIT.commandFailed],
    ['a thrown string', EXIT.commandFailed],
  ])('maps %s to exit status %i', (error, exitCode) => {
    expect(failureOf(error).exitCode).toBe(exitCode);
  });
});

describe('describeError', () => {
  it('appends the cause of a foreign error when it adds something', () => {
    expect(describeError(new Error('cannot start', { cause: new Error('EACCES') }))).toBe('cannot start: EACCES');
    expect(describeError(new Error('cannot start: EACCES', { cause: new Error('EACCES') }))).toBe('cannot start: EACCES');
  });

  it('trusts our own errors to say everything in their message', () => {
    const error = new ConfigError('/etc/amora.yaml: file not found', { cause: new Error("ENOENT: no such file or directory, open '/etc/amora.yaml'") });
    expect(describeError(error)).toBe('/etc/amora.yaml: file not found');
  });

  it('masks credentials a library quoted', () => {
    expect(describeError(new Error('cannot connect to mqtts://user:hunter2@broker:8883'))).toBe('cannot connect to mqtts://[redacted]@broker:8883');
    expect(describeError('HostName=h;DeviceId=d;SharedAccessKey=abc=')).toBe('HostName=h;DeviceId=d;SharedAccessKey=[redacted]');
  });
});
