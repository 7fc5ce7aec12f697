import { Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SharedStreams } from './shared-streams.js';

/** A source that counts its subscriptions and teardowns, and lets the test push values. */
function countedSource(): { readonly values: Subject<number>; readonly counts: { created: number; subscribed: number; tornDown: number }; create: () => Observable<number> } {
  const values = new Subject<number>();
  const counts = { created: 0, subscribed: 0, tornDown: 0 };
  return {
    values,
    counts,
    create: () => {
      counts.created++;
      return new Observable<number>((subscriber) => {
        counts.subscribed++;
        const subscription = values.subscribe(subscriber);
        return () => {
          counts.tornDown++;
          subscription.unsubscribe();
        };
      });
    },
  };
}

describe('SharedStreams', () => {
  it('hands out one stream per key, one source for all its subscribers', () => {
    const streams = new SharedStreams();
    const source = countedSource();
    const stream = streams.get('a', source.create);
    expect(streams.get('a', () => new Observable<number>())).toBe(stream);
    expect(source.counts.created).toBe(0);

    const seen: number[][] = [[], []];
    stream.subscribe((value) => seen[0]!.push(value));
    stream.subscribe((value) => seen[1]!.push(value));
    source.values.next(1);
    expect(seen).toEqual([[1], [1]]);
    expect(source.counts).toEqual({ created: 1, subscribed: 1, tornDown: 0 });
  });

  it('gives a late subscriber the latest value at once when replaying', () => {
    const streams = new SharedStreams();
    const source = countedSource();
    const stream = streams.get('a', source.create);
    stream.subscribe();
    source.values.next(1);
    source.values.next(2);
    const late: number[] = [];
    stream.subscribe((value) => late.push(value));
    expect(late).toEqual([2]);
  });

  it('gives a late subscriber only what comes next without replay', () => {
    const streams = new SharedStreams();
    const source = countedSource();
    const stream = streams.get('a', source.create, { replay: false });
    stream.subscribe();
    source.values.next(1);
    const late: number[] = [];
    stream.subscribe((value) => late.push(value));
    source.values.next(2);
    expect(late).toEqual([2]);
  });

  it('tears the source down with the last subscriber and creates it again for the next', () => {
    const streams = new SharedStreams();
    const source = countedSource();
    const stream = streams.get('a', source.create);
    const first = stream.subscribe();
    const second = stream.subscribe();
    source.values.next(1);
    first.unsubscribe();
    expect(source.counts.tornDown).toBe(0);
    second.unsubscribe();
    expect(source.counts).toEqual({ created: 1, subscribed: 1, tornDown: 1 });

    // The value of the old source is not replayed to the new one's subscribers.
    const again: number[] = [];
    const third = stream.subscribe((value) => again.push(value));
    expect(source.counts).toEqual({ created: 2, subscribed: 2, tornDown: 1 });
    expect(again).toEqual([]);
    source.values.next(3);
    expect(again).toEqual([3]);
    third.unsubscribe();
    expect(source.counts.tornDown).toBe(2);
  });
});
