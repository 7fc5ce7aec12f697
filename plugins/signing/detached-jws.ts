import { CompactSign, compactVerify, type JWSHeaderParameters } from 'jose';
import type { JsonValue } from '../../core/index.js';
import { canonicalJson } from './canonical-json.js';
import type { LoadedKey } from './keys.js';

const encoder = new TextEncoder();

/** Extra protected header values (signed with the payload): issue time and expiry in epoch seconds. */
export interface SignatureTimes {
  readonly iat: number;
  readonly exp?: number;
}

/**
 * A JWS with a detached payload (`header..signature`, RFC 7515 appendix F): the payload is the
 * canonical JSON of what is signed, which the receiver rebuilds from the message itself, so the
 * message stays readable and the signature stays small.
 */
export async function signDetached(content: JsonValue, key: LoadedKey, times: SignatureTimes): Promise<string> {
  const jws = await new CompactSign(encoder.encode(canonicalJson(content)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...times })
    .sign(key.key);
  const [header, , signature] = jws.split('.');
  return `${header}..${signature}`;
}

/** Verifies a detached JWS over `content` with the key its kid names; returns its header, or throws why not. */
export async function verifyDetached(signature: string, content: JsonValue, keys: ReadonlyMap<string, LoadedKey>): Promise<JWSHeaderParameters & Partial<SignatureTimes>> {
  const parts = signature.split('.');
  if (parts.length !== 3 || parts[1] !== '') throw new Error('malformed signature');
  const payload = base64url(encoder.encode(canonicalJson(content)));
  const { protectedHeader } = await compactVerify(`${parts[0]}.${payload}.${parts[2]}`, (header) => {
    const key = header.kid === undefined ? undefined : keys.get(header.kid);
    if (!key) throw new Error(`unknown key id ${JSON.stringify(header.kid ?? null)}`);
    if (header.alg !== key.alg) throw new Error(`key ${key.kid} is not for ${header.alg}`);
    return key.key;
  }).catch((error: unknown) => {
    throw new Error(error instanceof Error && error.message.startsWith('unknown key') ? error.message : 'signature does not match');
  });
  return protectedHeader as JWSHeaderParameters & Partial<SignatureTimes>;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
