import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodePackageResolver } from './resolve-package.node.js';

describe('nodePackageResolver', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));

  it('finds a package from the given directory upwards', () => {
    expect(nodePackageResolver('zod', here)).toMatch(/^file:\/\/.*\/node_modules\/zod\//);
  });

  it('returns undefined when nothing is found, so the caller falls back to import()', () => {
    expect(nodePackageResolver('amora-no-such-package', here)).toBeUndefined();
  });
});
