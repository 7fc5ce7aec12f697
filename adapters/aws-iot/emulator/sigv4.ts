import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Checks AWS Signature Version 4 on a request, as AWS does before any API runs: the emulator
 * recomputes the signature from the request and its one configured secret, so a client with the
 * wrong secret (or a request altered on the way) is refused like on AWS. The canonical request is
 * built as the JS SDK v3 signer builds it for every service but S3: each path segment escaped
 * again (the "double encoding"), query pairs sorted, signed headers trimmed.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A verified request's signing scope. */
export interface SigningScope {
  readonly accessKeyId: string;
  readonly region: string;
  /** The signing name: `iot` for the control plane, `iotdata` (or `iotdevicegateway`) for the data plane. */
  readonly service: string;
}

/** Why a request was refused; `errorType` is what AWS names in `x-amzn-ErrorType` (status 403). */
export interface SignatureFailure {
  readonly errorType: 'MissingAuthenticationTokenException' | 'IncompleteSignatureException' | 'UnrecognizedClientException' | 'InvalidSignatureException';
  readonly message: string;
}

export interface SignedRequest {
  readonly method: string;
  /** The raw request target: path and query exactly as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** AWS refuses a signature dated more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

export function verifySignature(request: SignedRequest, credentials: AwsCredentials, now = Date.now()): SigningScope | SignatureFailure {
  const header = headerValue(request.headers, 'authorization');
  if (header === undefined) return { errorType: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(header.trim());
  if (!match) return { errorType: 'IncompleteSignatureException', message: 'Authorization header requires a SigV4 Credential, SignedHeaders and Signature' };
  const [, accessKeyId, shortDate, region, service, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string, string];
  if (accessKeyId !== credentials.accessKeyId) {
    return { errorType: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  const longDate = headerValue(request.headers, 'x-amz-date');
  if (longDate === undefined || !/^\d{8}T\d{6}Z$/.test(longDate) || !longDate.startsWith(shortDate)) {
    return { errorType: 'IncompleteSignatureException', message: 'Missing or malformed X-Amz-Date' };
  }
  const signedAt = Date.parse(`${longDate.slice(0, 4)}-${longDate.slice(4, 6)}-${longDate.slice(6, 8)}T${longDate.slice(9, 11)}:${longDate.slice(11, 13)}:${longDate.slice(13, 15)}Z`);
  if (!(Math.abs(now - signedAt) <= MAX_SKEW_MS)) {
    return { errorType: 'InvalidSignatureException', message: `Signature expired: ${longDate} is more than 15 minutes from the server's time` };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host')) return { errorType: 'IncompleteSignatureException', message: 'The host header must be signed' };

  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const declaredHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== 'UNSIGNED-PAYLOAD' && declaredHash !== bodyHash) {
    return { errorType: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match the body' };
  }
  const [path = '/', query = ''] = splitOnce(request.url, '?');
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [
    request.method,
    canonicalPath(path),
    canonicalQuery(query),
    canonicalHeaders,
    signedHeaderList,
    declaredHash ?? bodyHash,
  ].join('\n');
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, shortDate);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      errorType: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { accessKeyId, region, service };
}

export function isSignatureFailure(value: SigningScope | SignatureFailure): value is SignatureFailure {
  return 'errorType' in value;
}

function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  return rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [key = '', value = ''] = splitOnce(pair, '=');
      return [escapeUri(decode(key)), escapeUri(decode(value))] as const;
    })
    .filter(([key]) => key.toLowerCase() !== 'x-amz-signature')
    .toSorted(([a, av], [b, bv]) => (a === b ? compare(av, bv) : compare(a, b)))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** RFC 3986 escaping, as the SDK's `escapeUri`. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
