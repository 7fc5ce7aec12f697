import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from './exit-codes.js';
import { listenError } from './listen-error.js';

const inUse = (port: number) => Object.assign(new Error(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`), { code: 'EADDRINUSE', port });

describe('listenError', () => {
  it('names the option whose port is taken', () => {
    const error = listenError(inUse(9001), '127.0.0.1', { '--port': 1883, '--ws-port': 9001 });
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.usage);
    expect(error.message).toBe('port 9001 on 127.0.0.1 is already in use: pass another --ws-port');
    expect(listenError(inUse(1883), '127.0.0.1', { '--port': 1883, '--ws-port': 9001 }).message).toMatch(/pass another --port$/);
  });

  it('says --port when it cannot tell, and explains EACCES', () => {
    expect(listenError(inUse(1883), '0.0.0.0').message).toBe('port 1883 on 0.0.0.0 is already in use: pass another --port');
    const denied = Object.assign(new Error('listen EACCES'), { code: 'EACCES', port: 80 });
    expect(listenError(denied, '127.0.0.1', { '--port': 80 }).message).toBe('no permission to listen on port 80: pass a --port above 1023');
  });

  it('passes other errors through', () => {
    const other = new Error('boom');
    expect(listenError(other, '127.0.0.1')).toBe(other);
    expect(listenError('text', '127.0.0.1').message).toBe('text');
  });
});
