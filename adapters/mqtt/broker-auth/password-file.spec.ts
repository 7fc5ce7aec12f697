import { createHash, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePasswordFile, verifyPassword } from './password-file.js';

// The real mosquitto_passwd writes the files of the integration specs; here, entries built the
// way Mosquitto 2 documents them check the parser's edges.
const salt = Buffer.from('0123456789ab');
const pbkdf2 = `$7$101$${salt.toString('base64')}$${pbkdf2Sync('secret', salt, 101, 64, 'sha512').toString('base64')}`;
const sha512 = `$6$${salt.toString('base64')}$${createHash('sha512').update('secret').update(salt).digest('base64')}`;

describe('Mosquitto password file', () => {
  it('verifies $7$ and $6$ entries and refuses a wrong password', () => {
    const users = parsePasswordFile(`# comment\nalice:${pbkdf2}\n\nbob:${sha512}\n`);
    expect(verifyPassword(users.get('alice')!, 'secret')).toBe(true);
    expect(verifyPassword(users.get('bob')!, 'secret')).toBe(true);
    expect(verifyPassword(users.get('alice')!, 'Secret')).toBe(false);
  });

  it('names a malformed line without quoting it', () => {
    expect(() => parsePasswordFile(`alice:${pbkdf2}\nbob:plaintext-password\n`, 'passwd')).toThrow(/^passwd line 2: expected "user:\$7\$\.\.\."/);
    const error = (() => {
      try {
        parsePasswordFile('bob:plaintext-password\n');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/line 1/);
    expect(error?.message).not.toContain('plaintext-password');
  });
});
