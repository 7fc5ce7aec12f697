import { describe, expect, it } from 'vitest';
import { renderStatus } from './status.js';

describe('renderStatus', () => {
  it('prints a row per device with presence, sync, ages and moved, then the count', () => {
    const now = 1_000_000;
    const text = renderStatus(
      [
        { id: 'p1', source: { presence: 'online', lastStateAt: now - 2_000, lastCommandAt: now - 40_000 }, target: { presence: 'online', lastStateAt: now - 2_000, lastCommandAt: now - 3_000 }, inSync: true, settledSince: now - 400_000, moved: true },
        { id: 'p2', source: { presence: 'online' }, target: { presence: 'offline' }, inSync: false, moved: false },
        { id: 'p3', source: { presence: 'online' }, target: { presence: 'online' }, inSync: true, settledSince: now - 5_000, moved: false },
      ],
      'azure',
      'aws',
      now,
    );
    expect(text.split('\n')).toEqual([
      'device  azure   aws      in sync  last state azure/aws  last command azure/aws  moved',
      'p1      online  online   yes      2s ago / 2s ago       40s ago / 3s ago        yes',
      'p2      online  offline  no       - / -                 - / -                   no',
      'p3      online  online   yes      - / -                 - / -                   settling (5s ago)',
      '1/3 moved',
      '',
    ]);
  });
});
