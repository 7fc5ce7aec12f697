import { describe, expect, it } from 'vitest';
import { TransportError } from '../errors.js';
import { UnacknowledgedPublishes, type PublishDone } from './unacknowledged-publishes.js';

/** A list whose publishes write how they ended into `told`, by topic. */
function recorded(): { list: UnacknowledgedPublishes<string>; told: string[]; done: (topic: string) => PublishDone } {
  const told: string[] = [];
  return { list: new UnacknowledgedPublishes<string>(), told, done: (topic) => (error) => told.push(`${topic}: ${error ? error.code : 'ok'}`) };
}

const lost = (): TransportError => new TransportError('unavailable', 'lost');

describe('UnacknowledgedPublishes', () => {
  it('tells each publish once, wherever it is in the list', () => {
    const { list, told, done } = recorded();
    const [a, b, c] = ['a', 'b', 'c'].map((topic) => list.add('client', topic, done(topic)));
    expect(list.settle(b!)).toBe(true);
    expect(list.settle(b!, lost())).toBe(false);
    expect(list.settle(c!)).toBe(true);
    list.settleAll('client', lost);
    expect(list.settle(a!)).toBe(false);
    expect(told).toEqual(['b: ok', 'c: ok', 'a: unavailable']);
  });

  it("fails a lost client's publishes oldest first and leaves the other client's waiting", () => {
    const { list, told, done } = recorded();
    const entries = (
      [
        ['old', 'o1'],
        ['new', 'n1'],
        ['old', 'o2'],
        ['new', 'n2'],
      ] as const
    ).map(([client, topic]) => list.add(client, topic, done(topic)));
    list.settleAll('old', lost);
    list.settleAll('old', lost);
    expect(told).toEqual(['o1: unavailable', 'o2: unavailable']);
    const later = list.add('new', 'n3', done('n3'));
    expect(list.settle(later)).toBe(true);
    expect(list.settle(entries[0]!)).toBe(false);
    list.settleAll('new', lost);
    expect(told.slice(2)).toEqual(['n3: ok', 'n1: unavailable', 'n2: unavailable']);
  });

  it('keeps nothing of a publish once it is told', () => {
    const { list, done } = recorded();
    const first = list.add('client', 'a', done('a'));
    const second = list.add('client', 'b', done('b'));
    list.settle(first);
    list.settleAll('client', lost);
    for (const entry of [first, second]) expect([entry.done, entry.previous, entry.next]).toEqual([undefined, undefined, undefined]);
  });
});
