import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PluginLoadError } from '../core/index.js';
import { OPTIONAL_PACKAGES, installCommand, missingPackageError } from './optional-packages.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('optional cloud packages', () => {
  const listed = Object.assign({}, ...Object.values(OPTIONAL_PACKAGES)) as Record<string, string>;

  it('are exactly the optional peers package.json pins, at the same versions', () => {
    const names = Object.keys(listed);
    const pick = (record: Record<string, unknown>) => Object.fromEntries(names.map((name) => [name, record[name]]));
    expect(pick(pkg.peerDependencies)).toEqual(listed);
    expect(pick(pkg.peerDependenciesMeta)).toEqual(Object.fromEntries(names.map((name) => [name, { optional: true }])));
    // The tests install them; a user does not.
    expect(pick(pkg.devDependencies)).toEqual(listed);
    expect(pick(pkg.dependencies)).toEqual(Object.fromEntries(names.map((name) => [name, undefined])));
  });

  it('names the install command of a kind whose package is missing', () => {
    const notFound = Object.assign(new Error("Cannot find package '@aws-sdk/client-iot-data-plane' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = missingPackageError('aws-iot', notFound);
    expect(error).toBeInstanceOf(PluginLoadError);
    expect((error as Error).message).toContain('"@aws-sdk/client-iot-data-plane"');
    expect((error as Error).message).toContain(installCommand('aws-iot'));
  });

  it('passes other import failures through unchanged', () => {
    const syntax = new SyntaxError('Unexpected token');
    expect(missingPackageError('aws-iot', syntax)).toBe(syntax);
    const notFound = Object.assign(new Error("Cannot find package 'x' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(missingPackageError('mqtt', notFound)).toBe(notFound);
  });
});
