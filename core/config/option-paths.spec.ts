import { describe, expect, it } from 'vitest';
import { resolveFilePath, resolveOptionPaths } from './option-paths.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('resolveFilePath', () => {
  it('resolves relative paths against the directory', () => {
    expect(resolveFilePath('ca.pem', '/etc/amora')).toBe('/etc/amora/ca.pem');
    expect(resolveFilePath('./certs/ca.pem', '/etc/amora/')).toBe('/etc/amora/certs/ca.pem');
    expect(resolveFilePath('../shared/ca.pem', '/etc/amora')).toBe('/etc/amora/../shared/ca.pem');
    expect(resolveFilePath('certs\\ca.pem', 'C:\\amora')).toBe('C:\\amora\\certs\\ca.pem');
  });

  it('takes a file: URL as the directory, and leaves paths alone under other URLs', () => {
    expect(resolveFilePath('ca.pem', 'file:///etc/my%20amora/')).toBe('/etc/my amora/ca.pem');
    expect(resolveFilePath('ca.pem', 'file:///C:/amora/')).toBe('C:/amora/ca.pem');
    expect(resolveFilePath('ca.pem', 'https://example.com/config/')).toBe('ca.pem');
  });

  it('leaves absolute paths, URLs, inline PEM, empty strings and non-strings alone', () => {
    for (const value of ['/etc/ca.pem', 'C:\\ca.pem', 'D:/ca.pem', '\\\\server\\share\\ca.pem', 'file:///ca.pem', PEM, '', 5, undefined, null]) {
      expect(resolveFilePath(value, '/etc/amora')).toBe(value);
    }
  });
});

describe('resolveOptionPaths', () => {
  it('resolves the declared keys, nested ones included, without touching the input', () => {
    const options = { kind: 'mqtt', url: 'mqtts://b:8883', tls: { ca: 'ca.pem', cert: PEM, key: './key.pem', rejectUnauthorized: true } };
    const resolved = resolveOptionPaths(options, ['tls.ca', 'tls.cert', 'tls.key'], '/etc/amora');
    expect(resolved).toEqual({ kind: 'mqtt', url: 'mqtts://b:8883', tls: { ca: '/etc/amora/ca.pem', cert: PEM, key: '/etc/amora/key.pem', rejectUnauthorized: true } });
    expect(options.tls.ca).toBe('ca.pem');
  });

  it('does nothing without a base directory or declared keys, and leaves missing or odd sections to the schema', () => {
    const options = { certPath: 'c.pem' };
    expect(resolveOptionPaths(options, ['certPath'], undefined)).toBe(options);
    expect(resolveOptionPaths(options, undefined, '/etc/amora')).toBe(options);
    expect(resolveOptionPaths({ tls: 'x' }, ['tls.ca'], '/d')).toEqual({ tls: 'x' });
    expect(resolveOptionPaths({ url: 'u' }, ['tls.ca', 'caPath'], '/d')).toEqual({ url: 'u' });
  });
});
