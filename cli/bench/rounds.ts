/**
 * The passes of `rounds` rounds in run order: `first` as given in the first round, reversed in the
 * next, and so on, so a machine getting busier or calmer does not favour one side.
 */
export function* alternatingRounds<const T>(rounds: number, first: readonly T[]): Generator<{ readonly round: number; readonly who: T }> {
  for (let round = 0; round < rounds; round++) {
    for (const who of round % 2 === 0 ? first : first.toReversed()) yield { round, who };
  }
}
