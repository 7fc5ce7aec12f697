import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { Logger } from '../logging/logger.js';
import { DropLog } from './drop-log.js';

const noop = (): void => undefined;

function recordingLogger(): Logger & { lines: { fields: Record<string, unknown>; message?: string }[] } {
  const lines: { fields: Record<string, unknown>; message?: string }[] = [];
  const warn = (fields: unknown, message?: string) => void lines.push({ fields: fields as Record<string, unknown>, ...(message ? { message } : {}) });
  const logger = { trace: noop, debug: noop, info: noop, warn, error: noop, child: () => logger, lines };
  return logger;
}

describe('DropLog', () => {
  it('logs 506 drops in a few lines: the first at once, then one summary per interval with the counts', () => {
    const clock = new ManualClock(0);
    const logger = recordingLogger();
    const drops = new DropLog({ logger, message: 'outbox full', intervalMs: 10_000, clock });
    for (let i = 0; i < 506; i++) {
      drops.note({ topic: `t/${i}` });
      clock.advance(50); // 506 drops over 25 s
    }
    clock.advance(10_000);
    expect(logger.lines.length).toBeLessThanOrEqual(4);
    expect(logger.lines[0]).toEqual({ fields: { topic: 't/0', dropped: 1 }, message: 'outbox full' });
    const last = logger.lines.at(-1)!;
    expect(last.fields).toMatchObject({ dropped: 506, topic: 't/505' });
    const summed = logger.lines.slice(1).reduce((sum, line) => sum + (line.fields['droppedSinceLastLine'] as number), 1);
    expect(summed).toBe(506);
  });

  it('logs the first drop of a new spell at once, and flush() writes what is pending', () => {
    const clock = new ManualClock(0);
    const logger = recordingLogger();
    const drops = new DropLog({ logger, message: 'full', intervalMs: 1_000, clock });
    drops.note();
    clock.advance(5_000);
    drops.note();
    expect(logger.lines).toHaveLength(2);
    drops.note();
    drops.flush();
    expect(logger.lines.at(-1)?.fields).toMatchObject({ dropped: 3, droppedSinceLastLine: 1 });
  });
});
