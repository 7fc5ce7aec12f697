import { importPKCS8, importSPKI, type CryptoKey } from 'jose';
import type { SigningKeyOptions } from './options.js';

/** A key ready for jose: the secret's bytes for HS256, an imported key for ES256/RS256. */
export interface LoadedKey {
  readonly kid: string;
  readonly alg: 'HS256' | 'ES256' | 'RS256';
  readonly key: Uint8Array | CryptoKey;
}

export async function loadSigningKey(options: SigningKeyOptions): Promise<LoadedKey> {
  if (options.alg === 'HS256') return { kid: options.kid, alg: options.alg, key: new TextEncoder().encode(options.key) };
  return { kid: options.kid, alg: options.alg, key: await importPKCS8(options.key, options.alg) };
}

export async function loadVerificationKey(options: SigningKeyOptions): Promise<LoadedKey> {
  if (options.alg === 'HS256') return { kid: options.kid, alg: options.alg, key: new TextEncoder().encode(options.key) };
  return { kid: options.kid, alg: options.alg, key: await importSPKI(options.key, options.alg) };
}

/** A 256-bit key from base64 or hex text. */
export function decodeAesKey(text: string): Uint8Array {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Uint8Array.from(text.match(/../g)!.map((pair) => Number.parseInt(pair, 16))) : base64Bytes(text);
  if (bytes.length !== 32) throw new Error(`the encryption key must be 256 bits (32 bytes), got ${bytes.length} bytes`);
  return bytes;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
