import { afterEach, describe, expect, it } from 'vitest';
import { findBinary, missingBinariesMessage, requireBinary, REQUIRE_SYSTEM_DEPS_ENV } from './binaries.js';

describe('requireBinary', () => {
  const saved = process.env[REQUIRE_SYSTEM_DEPS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[REQUIRE_SYSTEM_DEPS_ENV];
    else process.env[REQUIRE_SYSTEM_DEPS_ENV] = saved;
  });

  it('finds binaries in PATH', () => {
    expect(findBinary('node')).toMatch(/\/node$/);
  });

  it('returns undefined for a missing binary when system deps are optional', () => {
    delete process.env[REQUIRE_SYSTEM_DEPS_ENV];
    expect(requireBinary('amora-no-such-binary')).toBeUndefined();
  });

  it('fails with a clear message when AMORA_REQUIRE_SYSTEM_DEPS=1', () => {
    process.env[REQUIRE_SYSTEM_DEPS_ENV] = '1';
    expect(() => requireBinary('amora-no-such-binary')).toThrow(
      /required system binaries not found: amora-no-such-binary \(searched PATH and \/usr\/sbin.*AMORA_REQUIRE_SYSTEM_DEPS=1/,
    );
  });

  it('names the Debian packages to install for the missing binaries', () => {
    process.env[REQUIRE_SYSTEM_DEPS_ENV] = '1';
    expect(missingBinariesMessage(['mosquitto_pub', 'chromium', 'mosquitto_sub'])).toContain('apt-get install mosquitto-clients chromium)');
  });
});
