import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Finding the system binaries tests and benchmarks drive (mosquitto, mpd, mpc, sox, mosquitto_pub).
 * Free of vitest so the benchmark (built into dist) can use it too.
 */

/** Debian installs daemons such as mosquitto in sbin, which a normal user's PATH often lacks. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

/** The env switch that turns a missing binary from a skip into a failure (CI sets it). */
export const REQUIRE_SYSTEM_DEPS_ENV = 'AMORA_REQUIRE_SYSTEM_DEPS';

/** True when missing system binaries must fail tests instead of skipping them. */
export function systemDepsRequired(): boolean {
  return process.env[REQUIRE_SYSTEM_DEPS_ENV] === '1';
}

const cache = new Map<string, string | undefined>();

/** Absolute path of an executable found in PATH or the sbin directories, or undefined. */
export function findBinary(name: string): string | undefined {
  if (cache.has(name)) return cache.get(name);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  let found: string | undefined;
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      // not here; keep looking
    }
  }
  cache.set(name, found);
  return found;
}

/** The Debian package that provides each binary the tests use. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  mosquitto_pub: 'mosquitto-clients',
  mosquitto_sub: 'mosquitto-clients',
  mosquitto_passwd: 'mosquitto',
};

/** The message shown when binaries are missing; names the env switch so a reader knows why it failed or skipped. */
export function missingBinariesMessage(missing: readonly string[]): string {
  const list = missing.join(', ');
  const packages = [...new Set(missing.map((name) => PACKAGE_OF[name] ?? name))].join(' ');
  return systemDepsRequired()
    ? `required system binaries not found: ${list} (searched PATH and ${EXTRA_DIRS.join(', ')}; ` +
        `${REQUIRE_SYSTEM_DEPS_ENV}=1 makes this a failure: install them: apt-get install ${packages})`
    : `skipped: system binaries not found: ${list} (set ${REQUIRE_SYSTEM_DEPS_ENV}=1 to make this a failure)`;
}

/**
 * Path of a binary, or undefined when it is missing and missing binaries may be skipped.
 * Throws when it is missing and AMORA_REQUIRE_SYSTEM_DEPS=1.
 */
export function requireBinary(name: string): string | undefined {
  const path = findBinary(name);
  if (path === undefined && systemDepsRequired()) throw new Error(missingBinariesMessage([name]));
  return path;
}
