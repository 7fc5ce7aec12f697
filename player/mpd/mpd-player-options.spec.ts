import { describe, expect, it } from 'vitest';
import { mpdPlayerOptionsSchema } from './mpd-player-options.js';

describe('mpd player options', () => {
  it('defaults to localhost:6600 with one-second position reports', () => {
    expect(mpdPlayerOptionsSchema.parse({})).toEqual({
      host: 'localhost',
      port: 6600,
      positionIntervalMs: 1000,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 5000,
    });
  });

  it('accepts a port written as a string, as ${VAR} interpolation produces', () => {
    expect(mpdPlayerOptionsSchema.parse({ host: 'mpd.local', port: '6601' })).toMatchObject({ host: 'mpd.local', port: 6601 });
  });

  it('names misspelt and out-of-range keys', () => {
    const result = mpdPlayerOptionsSchema.safeParse({ hots: 'x', port: 70_000, reconnect: { initialMs: -1 } });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.') || issue.message);
    expect(paths).toEqual(expect.arrayContaining(['port', 'reconnect.initialMs']));
    expect(JSON.stringify(result.error?.issues)).toContain('hots');
  });
});
