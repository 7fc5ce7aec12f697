import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * IoT Hub shared access signatures: `SharedAccessSignature sr={url-encoded resource}&sig={sig}&se={expiry}[&skn={policy}]`,
 * where `sig` = base64(HMAC-SHA256(base64-decoded key, `{sr}\n{se}`)). Used by the emulator to verify
 * tokens and by tests to craft expired or wrongly signed ones. Tokens are secrets: never log them.
 */

/** A token's fields as sent; `sr` stays exactly as it appears in the token, because that is what was signed. */
export interface SasTokenFields {
  readonly sr: string;
  readonly sig: string;
  /** Expiry, epoch seconds. */
  readonly se: number;
  readonly skn?: string;
}

export interface CreateSasOptions {
  /** Unencoded resource, e.g. `myhub.azure-devices.net/devices/player-001` or a hub host name. */
  readonly resource: string;
  /** Base64 key. */
  readonly key: string;
  /** Expiry, epoch seconds. */
  readonly expiresAt: number;
  /** Policy name (service tokens). */
  readonly keyName?: string;
}

/** encodeURIComponent plus `!'()*`, as the Azure SDKs encode `sr` and `skn`. */
export function encodeUriComponentStrict(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/** The HMAC-SHA256 signature (base64, not URL-encoded) of `sr` and `se` under a base64 key. */
export function signSas(sr: string, se: number, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64')).update(`${sr}\n${se}`).digest('base64');
}

/** Builds a token string the way the Azure SDKs do. */
export function createSasToken(options: CreateSasOptions): string {
  const sr = encodeUriComponentStrict(options.resource);
  const sig = encodeUriComponentStrict(signSas(sr, options.expiresAt, options.key));
  const skn = options.keyName === undefined ? '' : `&skn=${encodeUriComponentStrict(options.keyName)}`;
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${options.expiresAt}${skn}`;
}

/**
 * Event Hubs signs with the key's text as the HMAC key (IoT Hub device and service tokens use the
 * base64-decoded key instead): base64(HMAC-SHA256(utf8(key), `{sr}\n{se}`)), as core-amqp does.
 */
export function signEventHubsSas(sr: string, se: number, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(`${sr}\n${se}`).digest('base64');
}

/** An Event Hubs token for `audience` (`sb://host/hub/...`), built as `@azure/event-hubs` builds it. */
export function createEventHubsSasToken(audience: string, keyName: string, key: string, expiresAt: number): string {
  const sr = encodeURIComponent(audience);
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(signEventHubsSas(sr, expiresAt, key))}&se=${expiresAt}&skn=${encodeURIComponent(keyName)}`;
}

/** Parses a token; undefined when it is not one (missing fields, bad expiry). */
export function parseSasToken(token: string): SasTokenFields | undefined {
  const match = /^\s*SharedAccessSignature\s+(.+)$/.exec(token);
  if (!match) return undefined;
  const fields = new Map<string, string>();
  for (const part of match[1]!.split('&')) {
    const at = part.indexOf('=');
    if (at <= 0) return undefined;
    fields.set(part.slice(0, at), part.slice(at + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = Number(fields.get('se'));
  if (!sr || !sig || !Number.isSafeInteger(se) || se <= 0) return undefined;
  const skn = fields.get('skn');
  return skn === undefined ? { sr, sig, se } : { sr, sig, se, skn: safeDecode(skn) };
}

/** The resource a token names, URL-decoded (e.g. `localhost:8883/devices/player-001`). */
export function sasResource(fields: SasTokenFields): string {
  return safeDecode(fields.sr);
}

/** True when `fields.sig` is the signature of the token under `key` (constant-time compare). */
export function sasSignatureMatches(fields: SasTokenFields, key: string): boolean {
  const expected = Buffer.from(signSas(fields.sr, fields.se, key));
  const actual = Buffer.from(safeDecode(fields.sig));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
