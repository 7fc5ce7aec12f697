import { AmoraError, AuthenticationError, TransportError } from '../errors.js';

/**
 * Turns what mqtt.js reports on a failed or lost connection into our error family, with messages
 * a person can act on. CONNACK refusals arrive as `ErrorWithReasonCode` (numeric `code`), socket
 * failures as Node errors (string `code` such as ECONNREFUSED).
 */

/**
 * CONNACK codes that mean "these credentials will never work": 3.1.1 (4, 5) and 5.0 (134, 135).
 * Only these are final; anything else (a ban, a server busy, a network down) is retried with backoff.
 */
const AUTH_CODES: Readonly<Record<number, string>> = {
  4: 'bad username or password',
  5: 'not authorized',
  134: 'bad username or password',
  135: 'not authorized',
};

/** MQTT 5 codes by which a broker asks clients to back off harder. */
const THROTTLE_CODES = new Set([137, 151, 159]);

/** The URL without user info, safe for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}

function numericCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True when the broker said it is overloaded or rate limiting. */
export function isThrottled(error: unknown): boolean {
  const cause = error instanceof AmoraError ? error.cause : error;
  const code = numericCode(cause);
  return code !== undefined && THROTTLE_CODES.has(code);
}

/** Classifies a connection failure; `lost` says it happened after being online. */
export function toConnectionError(error: unknown, url: string, lost: boolean): AmoraError {
  if (error instanceof AmoraError) return error;
  const where = redactUrl(url);
  const code = numericCode(error);
  const text = error instanceof Error ? error.message : error === undefined ? 'connection closed' : String(error);
  if (code !== undefined && AUTH_CODES[code]) {
    return new AuthenticationError(`MQTT broker ${where} refused the connection: ${AUTH_CODES[code]} (reason code ${code})`, {
      cause: error,
      details: { reasonCode: code },
    });
  }
  if (code !== undefined) {
    return new TransportError('unavailable', `MQTT broker ${where} refused the connection: ${text} (reason code ${code})`, {
      cause: error,
      details: { reasonCode: code },
    });
  }
  const prefix = lost ? `connection to MQTT broker ${where} lost` : `cannot connect to MQTT broker ${where}`;
  return new TransportError('unavailable', `${prefix}: ${text}`, { cause: error });
}
