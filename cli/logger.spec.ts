import { describe, expect, it } from 'vitest';
import { createCliLogger } from './logger.js';

/** A logger writing into an array of parsed lines. */
function capture(level = 'info'): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createCliLogger> } {
  const lines: Record<string, unknown>[] = [];
  const logger = createCliLogger(level, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('createCliLogger', () => {
  it('works with methods taken off the logger, as adapters call them', () => {
    const { lines, logger } = capture();
    const { warn } = logger;
    const pick = (online: boolean) => (online ? logger.warn : logger.debug);
    warn('detached');
    pick(true)({ attempt: 1 }, 'picked');
    const { info } = logger.child({ transport: 'mqtt' });
    info('child detached');
    expect(lines.map((line) => line['msg'])).toEqual(['detached', 'picked', 'child detached']);
    expect(lines[2]).toMatchObject({ transport: 'mqtt' });
  });

  it('redacts secret keys, URL credentials and connection-string keys in fields, messages and bindings', () => {
    const { lines, logger } = capture();
    logger
      .child({ url: 'mqtts://user:hunter2@broker:8883' })
      .info(
        { config: { transports: [{ password: 'hunter2', connectionString: 'HostName=h;DeviceId=d;SharedAccessKey=abc=' }] } },
        'connecting to mqtt://user:hunter2@broker HostName=h;SharedAccessKey=abc=',
      );
    const text = JSON.stringify(lines);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc=');
    expect(lines[0]).toMatchObject({ url: 'mqtts://[redacted]@broker:8883', config: { transports: [{ password: '[redacted]', connectionString: '[redacted]' }] } });
  });

  it('logs an Error field with its message (redacted), which plain redaction would drop', () => {
    const { lines, logger } = capture();
    logger.error({ err: Object.assign(new Error('refused by mqtt://u:hunter2@h'), { code: 'ECONNREFUSED' }) }, 'failed');
    expect(lines[0]).toMatchObject({ err: { type: 'Error', message: 'refused by mqtt://[redacted]@h', code: 'ECONNREFUSED' } });
    expect(lines[0]!['err']).not.toHaveProperty('stack');
  });

  it('honours the level and falls back to info for an unknown one', () => {
    const quiet = capture('warn');
    quiet.logger.info('hidden');
    quiet.logger.warn('shown');
    expect(quiet.lines.map((line) => line['msg'])).toEqual(['shown']);
    const fallback = capture('loud');
    fallback.logger.debug('hidden');
    fallback.logger.info('shown');
    expect(fallback.lines.map((line) => line['msg'])).toEqual(['shown']);
  });
});
