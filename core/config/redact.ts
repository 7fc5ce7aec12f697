/** Keys whose values are secrets wherever they appear in a config, log line or error detail. */
export const SECRET_KEY_PATTERN = /password|passphrase|secret|key|token|connection.?string|sas|credential/i;

export const REDACTED = '[redacted]';

// scheme://user:pass@host or scheme://user@host: the userinfo part.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]+)@/gi;

/**
 * A deep copy with secret-looking keys replaced by `[redacted]`, credentials in URLs masked
 * (`mqtts://[redacted]@host`) and `SharedAccessKey=`/`SharedAccessSignature` parts of connection
 * strings masked wherever they appear in a string value.
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, new WeakSet()) as T;
}

/** Masks credentials inside one string (URL userinfo, connection-string keys, SAS signatures). */
export function redactString(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string) => `${scheme}${REDACTED}@`)
    .replace(/(SharedAccessKey|SharedAccessSignature|sig)=([^;&\s]+)/gi, (_match, name: string) => `${name}=${REDACTED}`);
}

function redact(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  // Only the current branch counts as "seen": a value shared by two siblings is not a cycle.
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redact(item, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY_PATTERN.test(key) && item !== undefined && item !== null && item !== '' ? REDACTED : redact(item, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
