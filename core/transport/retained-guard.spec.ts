import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { silentLogger } from '../logging/logger.js';
import { RetainedGuard } from './retained-guard.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('RetainedGuard', () => {
  it('has our message republished over a stranger or a deletion, once per burst, and ignores our own echoes', () => {
    const clock = new ManualClock();
    const restored: string[] = [];
    const guard = new RetainedGuard(async (topic) => void restored.push(topic), clock, silentLogger, 250);
    guard.received('t', bytes('before we published anything'));
    guard.published('t', 'v1');
    guard.published('t', 'v2');
    guard.received('t', bytes('v1')); // a late echo of our own
    clock.advance(1_000);
    expect(restored).toEqual([]);
    guard.received('t', bytes('stranger'));
    guard.received('t', bytes(''));
    clock.advance(250);
    expect(restored).toEqual(['t']);
    expect(guard.restored).toBe(1);
    guard.received('t', new Uint8Array());
    guard.close();
    clock.advance(1_000);
    expect(restored).toHaveLength(1);
  });

  it('knows its own echo whatever the characters and size, and a stranger differing in one byte', () => {
    const clock = new ManualClock();
    const restored: string[] = [];
    const guard = new RetainedGuard(async (topic) => void restored.push(topic), clock, silentLogger, 250);
    const large = JSON.stringify({ title: 'Café del Mar – 東京 🎵', padding: 'x'.repeat(10_000) });
    // Past the shared hashing buffer's 64 KiB: hashed in a buffer of its own.
    const huge = JSON.stringify({ title: 'Café del Mar – 東京 🎵', padding: 'y'.repeat(100_000) });
    guard.published('t', 'Grüße, €1');
    guard.published('t', large);
    guard.published('h', huge);
    guard.received('t', bytes(large));
    guard.received('h', bytes(huge));
    guard.received('t', bytes('Grüße, €1'));
    clock.advance(1_000);
    expect(restored).toEqual([]);
    guard.received('h', bytes(huge.replace('yyy"', 'yyz"')));
    guard.received('t', bytes('Grüße, €2'));
    clock.advance(250);
    expect(restored.toSorted()).toEqual(['h', 't']);
  });
});
