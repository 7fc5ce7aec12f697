// Secret words, matched as whole words of a key in camelCase, snake_case, kebab-case or CAPS
// (`apiKey`, `api_key`, `API_KEY`, `apikey` for the compounds), plural too. Whole words, so that
// `keyboard` or `monkey` are not secrets; a key ending in `Path` names a file, not its content.
const SECRET_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'sas',
  'credential',
  'signature',
  'key',
  'connection string',
  'private key',
  'shared access key',
  'access key',
  'api key',
];
const SEPARATOR = '[-_. ]';

/** `connection string` → `[Cc]onnection[-_. ]?[Ss]tring|CONNECTION[-_. ]?STRING`. */
function wordAlternatives(word: string): string {
  const parts = word.split(' ');
  const mixed = parts.map((part) => `[${part[0]!.toUpperCase()}${part[0]}]${part.slice(1)}`).join(`${SEPARATOR}?`);
  const upper = parts.map((part) => part.toUpperCase()).join(`${SEPARATOR}?`);
  return `${mixed}|${upper}`;
}

/**
 * Keys whose values are secrets wherever they appear in a config, log line or error detail:
 * `password`, `passphrase`, `secret`, `token`, `sas`, `credential`, `signature`, `connectionString`,
 * `privateKey`, `sharedAccessKey`, `apiKey`, any other `...Key` word and `key` itself, in any
 * naming style. Not file paths (`keyPath`, `certPath`) nor words that merely contain one
 * (`keyboard`). Test it against a key name as written.
 */
export const SECRET_KEY_PATTERN = new RegExp(
  // Not ending in Path; then one secret word starting at the key's start, a separator or a
  // camelCase hump, and ending at the key's end, a separator, a hump or a digit.
  `^(?![\\s\\S]*(?:[Pp]ath|PATH)$)[\\s\\S]*?(?:^|${SEPARATOR}|(?<=[a-z0-9])(?=[A-Z]))(?:${SECRET_WORDS.map(wordAlternatives).join('|')})[sS]?(?=$|${SEPARATOR}|[A-Z0-9])`,
);

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
