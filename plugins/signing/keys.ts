import { importPKCS8, importSPKI, type CryptoKey } from 'jose';
import type { SigningKeyOptions } from './options.js';

/** A key ready for jose: the secret's bytes for HS256, an imported key for ES256/RS256. */
export interface LoadedKey {
  readonly kid: string;
  readonly alg: 'HS256' | 'ES256' | 'RS256';
  readonly key: Uint8Array | CryptoKey;
}

export async function loadSigningKey(options: SigningKeyOptions): Promise<LoadedKey> {
  if (options.alg === 'HS256') return { kid: options.kid, alg: options.alg, key: await hmacKey(options.key) };
  return { kid: options.kid, alg: options.alg, key: await importPKCS8(options.key, options.alg) };
}

export async function loadVerificationKey(options: SigningKeyOptions): Promise<LoadedKey> {
  if (options.alg === 'HS256') return { kid: options.kid, alg: options.alg, key: await hmacKey(options.key) };
  return { kid: options.kid, alg: options.alg, key: await importSPKI(options.key, options.alg) };
}

/**
 * Imported once: given raw bytes, jose imports a WebCrypto key on every sign and verify, which
 * costs more than the HMAC itself on a small message.
 */
function hmacKey(secret: string): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
}

/** An AES-GCM key for JWE `dir` + A256GCM, imported once for the same reason. */
export function aesKey(bytes: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** A 256-bit key from base64 or hex text. */
export function decodeAesKey(text: string): Uint8Array<ArrayBuffer> {
  const bytes = /^[0-9a-fA-F]{64}$/.test(text) ? Uint8Array.from(text.match(/../g)!.map((pair) => Number.parseInt(pair, 16))) : base64Bytes(text);
  if (bytes.length !== 32) throw new Error(`the encryption key must be 256 bits (32 bytes), got ${bytes.length} bytes`);
  return bytes;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
