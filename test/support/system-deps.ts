// These wrappers declare tests on behalf of their callers, so the vitest rules written for test
// files (literal titles, no conditions around tests, an expect in every test) do not apply here.
/* oxlint-disable vitest/valid-title, vitest/no-conditional-tests, vitest/expect-expect */
import { describe, it, type TestContext } from 'vitest';
import { findBinary, missingBinariesMessage, systemDepsRequired } from './binaries.js';

/**
 * Vitest helpers for tests that need system binaries. A missing binary skips the suite with a
 * visible note, or fails it when AMORA_REQUIRE_SYSTEM_DEPS=1 (CI), so a green CI run means the
 * real-daemon tests really ran.
 */
export { findBinary, requireBinary, systemDepsRequired, REQUIRE_SYSTEM_DEPS_ENV } from './binaries.js';
export { freePort } from './free-port.js';

/** Absolute paths of the binaries a suite asked for, by name. */
export type BinaryPaths<N extends string> = Readonly<Record<N, string>>;

function lookUp<N extends string>(names: readonly N[]): { paths: BinaryPaths<N>; missing: N[] } {
  const paths = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of names) {
    const path = findBinary(name);
    if (path === undefined) missing.push(name);
    else paths[name] = path;
  }
  return { paths, missing };
}

/** A placeholder test that skips (or fails, when required) and says which binaries are missing. */
function reportMissing(title: string, missing: readonly string[]): void {
  it(`${title} [needs ${missing.join(', ')}]`, (context: TestContext) => {
    const message = missingBinariesMessage(missing);
    if (systemDepsRequired()) throw new Error(message);
    context.skip(message);
  });
}

/**
 * `describe` whose body runs only when every named binary is installed; the body receives their
 * paths. Otherwise the suite holds one test that skips, or fails under AMORA_REQUIRE_SYSTEM_DEPS=1.
 */
export function describeWithBinaries<const N extends string>(
  names: readonly N[],
  title: string,
  body: (paths: BinaryPaths<N>) => void,
): void {
  const { paths, missing } = lookUp(names);
  describe(title, () => {
    if (missing.length === 0) body(paths);
    else reportMissing('system binaries', missing);
  });
}

/** `it` that runs only when every named binary is installed (skips, or fails when required, otherwise). */
export function itWithBinaries<const N extends string>(
  names: readonly N[],
  title: string,
  fn: (paths: BinaryPaths<N>, context: TestContext) => Promise<void> | void,
  timeoutMs?: number,
): void {
  const { paths, missing } = lookUp(names);
  if (missing.length === 0) it(title, (context: TestContext) => fn(paths, context), timeoutMs);
  else reportMissing(title, missing);
}
