import { ReplaySubject, filter, firstValueFrom, timeout, type Observable, type Subscription } from 'rxjs';

/**
 * Records every value of a stream from now on, so a test can wait for "a value like this, then
 * one like that" without racing the events. Waits are bounded so a broken transport fails with
 * a message instead of hanging.
 */
export class Recorder<T> {
  readonly values: T[] = [];
  private readonly subject = new ReplaySubject<{ value: T; index: number }>();
  private readonly subscription: Subscription;

  constructor(
    source: Observable<T>,
    private readonly timeoutMs: number,
  ) {
    // Recorded before it is announced, so a predicate that looks at `values` sees it too.
    this.subscription = source.subscribe((value) => {
      const index = this.values.push(value) - 1;
      this.subject.next({ value, index });
    });
  }

  /** The first recorded value at or after `from` (an index) matching `predicate`. */
  async next(what: string, predicate: (value: T) => boolean, from = 0): Promise<{ value: T; index: number }> {
    return firstValueFrom(
      this.subject.pipe(
        filter((entry) => entry.index >= from && predicate(entry.value)),
        timeout({
          first: this.timeoutMs,
          with: () => {
            throw new Error(`timed out after ${this.timeoutMs} ms waiting for ${what}; saw ${JSON.stringify(this.values.slice(from))}`);
          },
        }),
      ),
    );
  }

  /** Like next(), for the value only. */
  async wait(what: string, predicate: (value: T) => boolean, from = 0): Promise<T> {
    return (await this.next(what, predicate, from)).value;
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

/** Waits for the first value matching `predicate`, failing with `what` after `timeoutMs`. */
export async function waitFor<T>(source: Observable<T>, what: string, predicate: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const recorder = new Recorder(source, timeoutMs);
  try {
    return await recorder.wait(what, predicate);
  } finally {
    recorder.stop();
  }
}

/** Settles like `promise`, or rejects naming `what` when it takes longer than `timeoutMs`. */
export function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
