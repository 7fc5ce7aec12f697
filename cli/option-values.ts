import { InvalidArgumentError } from 'commander';

/**
 * Commander argument parsers for numeric options, so `--timeout abc` is a usage error (exit 2,
 * naming the option) instead of a NaN that surfaces later as a puzzling timeout.
 */
export function integerIn(min: number, max: number, what = 'an integer'): (value: string) => number {
  return (value: string): number => {
    const parsed = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}`);
    }
    return parsed;
  };
}

/** A TCP port; 0 asks the system for any free one. */
export const portNumber = integerIn(0, 65_535, 'a port number');

/** A duration in milliseconds, at least 1 ms and at most a day. */
export const milliseconds = integerIn(1, 86_400_000, 'milliseconds');
