import { filter, firstValueFrom, type Observable } from 'rxjs';

/**
 * Resolves with the first value of `source` that satisfies `predicate` (a replayed current value
 * counts). No deadline of its own: the test's timeout bounds the wait, so nothing here is timed.
 */
export function waitFor<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate)));
}

/** The code of the error a promise rejects with, or undefined when it resolves. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
