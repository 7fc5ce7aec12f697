import { createHash, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import {
  ConfigError,
} from '../../../core/index.js';

/**
 * Node-only: a Mosquitto password file (`mosquitto_passwd` output), one `user:hash` a line. Both
 * hash formats Mosquitto 2 writes are understood: `$7$iterations$salt$hash` (PBKDF2-SHA512, the
 * default) and `$6$salt$hash` (one round of SHA-512 over password then salt, `-H sha512`).
 */
export interface PasswordEntry {
  readonly kind: 'pbkdf2-sha512' | 'sha512';
  readonly salt: Buffer;
  readonly hash: Buffer;
  readonly iterations: number;
}

/** Parses the file's text; a malformed line is a ConfigError naming the line (never the hash). */
export function parsePasswordFile(text: string, source = 'password file'): ReadonlyMap<string, PasswordEntry> {
  const users = new Map<string, PasswordEntry>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(":");
    const user = colon > 0 ? line.slice(0, colon) : '';
    const entry = colon > 0 ? parseHash(line.slice(colon + 1)) : undefined;
    if (!entry) {
      throw new ConfigError(`${source} line ${index + 1}: expected "user:$7$..." or "user:$6$..." as mosquitto_passwd writes`, {
        details: { line: index + 1 },
      });
    }
    users.set(user, entry);
  }
  return users;
}

function parseHash(text: string): PasswordEntry | undefined {
  const parts = text.split('$');
  // "$7$101$salt$hash" splits into ['', '7', '101', salt, hash].
  if (parts[0] !== '') return undefined;
  if (parts[1] === '7' && parts.length === 5) {
    const iterations = Number(parts[2]);
    if (!Number.isInteger(iterations) || iterations < 1) return undefined;
    return decodeEntry('pbkdf2-sha512', parts[3]!, parts[4]!, iterations);
  }
  if (parts[1] === '6' && parts.length === 4) return decodeEntry('sha512', parts[2]!, parts[3]!, 1);
  return undefined;
}

function decodeEntry(kind: PasswordEntry['kind'], salt: string, hash: string, iterations: number): PasswordEntry | undefined {
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  if (saltBytes.length === 0 || hashBytes.length !== 64) return undefined;
  return { kind, salt: saltBytes, hash: hashBytes, iterations };
}

/** True when `password` matches the entry; compared in constant time. */
export function verifyPassword(entry: PasswordEntry, password: Buffer | string): boolean {
  const bytes = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const computed =
    entry.kind === 'pbkdf2-sha512'
      ? pbkdf2Sync(bytes, entry.salt, entry.iterations, 64, 'sha512')
      : createHash('sha512').update(bytes).update(entry.salt).digest();
  return timingSafeEqual(computed, entry.hash);
}
