import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, type CryptoKey } from 'jose';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/index.js';

/** The shape an encrypted section takes on the wire. */
export const ENCRYPTED_KEY = 'amora_jwe';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts chosen top-level sections of a document (JWE compact, `dir` + A256GCM with a shared
 * 256-bit key): `{"playback": {...}}` goes out as `{"playback": {"amora_jwe": "..."}}`. Other
 * sections keep their identity, so the merge patch built around them stays as it was.
 */
export class SectionCipher {
  constructor(
    private readonly sections: readonly string[],
    private readonly key: CryptoKey | Uint8Array,
    private readonly kid: string,
    /** Decryption keys by kid (the current one included). */
    private readonly keys: ReadonlyMap<string, CryptoKey | Uint8Array> = new Map([[kid, key]]),
  ) {}

  async encrypt(document: JsonObject): Promise<JsonObject> {
    if (!this.sections.some((section) => document[section] !== undefined && document[section] !== null)) return document;
    const out: Record<string, JsonValue> = { ...document };
    for (const section of this.sections) {
      const value = document[section];
      if (value === undefined || value === null) continue;
      const jwe = await new CompactEncrypt(encoder.encode(JSON.stringify(value))).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: this.kid }).encrypt(this.key);
      out[section] = { [ENCRYPTED_KEY]: jwe };
    }
    return out;
  }

  /** Decrypts every encrypted section; throws when one does not decrypt with this key. */
  async decrypt(document: JsonObject): Promise<JsonObject> {
    const out: Record<string, JsonValue> = { ...document };
    for (const [section, value] of Object.entries(document)) {
      if (!isJsonObject(value) || typeof value[ENCRYPTED_KEY] !== 'string') continue;
      const jwe = value[ENCRYPTED_KEY];
      let kid: unknown;
      try {
        kid = decodeProtectedHeader(jwe).kid;
      } catch {
        throw new Error(`section "${section}" is not a JWE`);
      }
      const key = typeof kid === 'string' ? this.keys.get(kid) : undefined;
      if (!key) throw new Error(`section "${section}" is encrypted with an unknown key id ${JSON.stringify(kid ?? null)}`);
      try {
        const { plaintext } = await compactDecrypt(jwe, key);
        out[section] = JSON.parse(decoder.decode(plaintext)) as JsonValue;
      } catch {
        throw new Error(`section "${section}" does not decrypt with key ${String(kid)}`);
      }
    }
    return out;
  }
}
