import { concatMap, EMPTY, from, type Observable, type OperatorFunction } from 'rxjs';

/** Opens each value in turn (order kept) and drops those `open` refuses (undefined). */
export function keepOpened<T>(open: (value: T) => Promise<T | undefined>): OperatorFunction<T, T> {
  return concatMap((value: T): Observable<T> => from(open(value)).pipe(concatMap((opened) => (opened === undefined ? EMPTY : [opened]))));
}
