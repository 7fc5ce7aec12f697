import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { directoryUrl, fileUrl, isPathSpecifier, moduleUrlFor } from './module-url.js';

describe('module-url', () => {
  it('tells paths, URLs and packages apart', () => {
    expect(['./a.js', '../a.js', '/a.js', 'C:\\a.js', 'c:/a.js'].every(isPathSpecifier)).toBe(true);
    expect(['amora-plugin-nats', '@scope/pkg', 'file:///a.js'].some(isPathSpecifier)).toBe(false);
  });

  it('matches Node for awkward POSIX paths', () => {
    for (const path of ['/etc/amora/', '/a b/c#d?e%f/', '/ünï/cödé/']) {
      expect(fileUrl(path).href).toBe(pathToFileURL(path).href);
    }
  });

  it('maps Windows paths', () => {
    expect(fileUrl('C:\\Program Files\\amora\\').href).toBe('file:///C:/Program%20Files/amora/');
    expect(fileUrl('\\\\server\\share\\p.js').href).toBe('file://server/share/p.js');
  });

  it('resolves relative specifiers against the config directory', () => {
    expect(moduleUrlFor('./plugins/x.js', '/etc/amora')).toBe('file:///etc/amora/plugins/x.js');
    expect(moduleUrlFor('../x.js', '/etc/amora/')).toBe('file:///etc/x.js');
    expect(moduleUrlFor('./x.js', 'https://example.com/app')).toBe('https://example.com/app/x.js');
    expect(moduleUrlFor('/opt/x.js')).toBe('file:///opt/x.js');
    expect(moduleUrlFor('amora-plugin-nats', '/etc')).toBe('amora-plugin-nats');
    expect(directoryUrl('/etc/amora').href).toBe('file:///etc/amora/');
  });
});
