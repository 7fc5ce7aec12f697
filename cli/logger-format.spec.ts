import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { colorAllowed, createCliLogger, logDestination, resolveLogFormat } from './logger.js';

/** What a person sees: the lines the pretty destination writes, as text. */
function prettyLines(colorize: boolean, log: (logger: ReturnType<typeof createCliLogger>) => void): string[] {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  log(createCliLogger('info', logDestination('pretty', { colorize, stream })));
  return chunks.join('').split('\n').filter(Boolean);
}

/** An SGR color sequence (ESC [ ... m). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

describe('log formats', () => {
  it('pretty: one readable line per entry with time, level, message and fields; secrets still redacted', () => {
    const lines = prettyLines(false, (logger) => {
      logger.info({ device: 'player-001' }, 'agent running');
      logger.warn({ url: 'mqtt://amora:hunter2@broker:1883' }, 'mqtt is offline; retrying');
      logger.debug('not at info');
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: agent running \{"device":"player-001"\}$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: mqtt is offline; retrying \{"url":"mqtt:\/\/\[redacted\]@broker:1883"\}$/);
    expect(lines.join('\n')).not.toMatch(ANSI);
  });

  it('pretty with colors marks the level in color', () => {
    const [line] = prettyLines(true, (logger) => logger.error('every transport refused the credentials'));
    expect(line).toMatch(ANSI);
    expect(line!.replace(new RegExp(ANSI, 'g'), '')).toMatch(/ERROR: every transport refused the credentials$/);
  });

  it('picks pretty on a terminal and JSON elsewhere unless asked; AMORA_LOG_FORMAT and the flag win', () => {
    expect(resolveLogFormat(undefined, {}, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, {}, false)).toBe('json');
    expect(resolveLogFormat('json', {}, true)).toBe('json');
    expect(resolveLogFormat(undefined, { AMORA_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(resolveLogFormat('json', { AMORA_LOG_FORMAT: 'pretty' }, true)).toBe('json');
  });

  it('colors only on a terminal without NO_COLOR', () => {
    expect(colorAllowed({}, true)).toBe(true);
    expect(colorAllowed({}, false)).toBe(false);
    expect(colorAllowed({ NO_COLOR: '1' }, true)).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colorAllowed({ NO_COLOR: '' }, true)).toBe(true);
  });
});
