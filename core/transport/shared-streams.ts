import { defer, Observable, ReplaySubject, share } from 'rxjs';

/**
 * A controller's streams, one per key, each shared among its subscribers and ref-counted: the
 * first subscriber creates the source (subscribes on the broker, starts polling), the last one
 * tears it down, and the next first subscriber creates it again. By default a stream replays its
 * latest value, so a late subscriber gets the current state or presence at once.
 */
export class SharedStreams {
  private readonly streams = new Map<string, Observable<unknown>>();

  /**
   * The stream of `key`, made from `create` the first time it is asked for. `create` runs on each
   * first subscription; `replay: false` for streams of events (telemetry) rather than of state.
   */
  get<T>(key: string, create: () => Observable<T>, options: { readonly replay?: boolean } = {}): Observable<T> {
    const cached = this.streams.get(key) as Observable<T> | undefined;
    if (cached) return cached;
    const stream = defer(create).pipe(
      share<T>(options.replay === false ? { resetOnRefCountZero: true } : { connector: () => new ReplaySubject<T>(1), resetOnRefCountZero: true }),
    );
    this.streams.set(key, stream);
    return stream;
  }
}
