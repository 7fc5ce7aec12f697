import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir } from './compile-cache.js';

describe('compileCacheDir', () => {
  it('keeps the cache under $XDG_CACHE_HOME/amora-sync, else ~/.cache/amora-sync, and leaves NODE_COMPILE_CACHE to Node', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/var/cache/amora' })).toBe(join('/var/cache/amora', 'amora-sync', 'node-compile-cache'));
    expect(compileCacheDir({})).toBe(join(homedir(), '.cache', 'amora-sync', 'node-compile-cache'));
    expect(compileCacheDir({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'amora-sync', 'node-compile-cache'));
    expect(compileCacheDir({ NODE_COMPILE_CACHE: '/tmp/ncc', XDG_CACHE_HOME: '/var/cache/amora' })).toBeUndefined();
  });
});
