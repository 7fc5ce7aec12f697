import { ConfigError } from '../../../core/index.js';
import { topicMatches } from '../../../core/internal.js';
import { filtersOverlap, filterWithin } from './topic-filters.js';

/**
 * A Mosquitto ACL file (`acl_file`), read the way Mosquitto 2 reads it, so one file protects a
 * Mosquitto and the embedded broker alike:
 * - `topic [read|write|readwrite|deny] <topic>` lines before the first `user` line apply to
 *   clients without a username; after `user <name>`, to that user;
 * - `pattern [read|write|readwrite|deny] <topic>` lines apply to every client, wherever they stand,
 *   with `%u` replaced by the username and `%c` by the client id;
 * - no access word means readwrite; `#` starts a comment line; `deny` wins over any grant.
 */
export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclEntry {
  readonly access: AclAccess;
  readonly topic: string;
}

export interface AclFile {
  readonly anonymous: readonly AclEntry[];
  readonly users: ReadonlyMap<string, readonly AclEntry[]>;
  readonly patterns: readonly AclEntry[];
}

/** What a client asks for: read a delivered message, write (publish), or subscribe with a filter. */
export type AclRequest = 'read' | 'write' | 'subscribe';

const ACCESS_WORDS: ReadonlySet<string> = new Set(['read', 'write', 'readwrite', 'deny']);

/** Parses the file's text; an unknown line is a ConfigError naming its number. */
export function parseAclFile(text: string, source = 'ACL file'): AclFile {
  const anonymous: AclEntry[] = [];
  const users = new Map<string, AclEntry[]>();
  const patterns: AclEntry[] = [];
  let current = anonymous;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const fail = (why: string): never => {
      throw new ConfigError(`${source} line ${index + 1}: ${why}`, { details: { line: index + 1 } });
    };
    if (keyword === 'user') {
      const name = line.slice(keyword.length).trim();
      if (name === '') fail('"user" needs a name');
      current = users.get(name) ?? [];
      users.set(name, current);
    } else if (keyword === 'topic' || keyword === 'pattern') {
      const hasAccess = rest.length > 1 && ACCESS_WORDS.has(rest[0]!);
      const access = (hasAccess ? rest[0] : 'readwrite') as AclAccess;
      // The topic is the rest of the line, spaces included, as Mosquitto takes it.
      const topic = line.slice(keyword.length).trim().slice(hasAccess ? access.length : 0).trim();
      if (topic === '') fail(`"${keyword}" needs a topic`);
      (keyword === 'pattern' ? patterns : current).push({ access, topic });
    } else {
      fail(`unknown keyword "${keyword}" (expected user, topic or pattern)`);
    }
  }
  return { anonymous, users, patterns };
}

/** The entries that apply to one client, patterns expanded; a pattern that cannot expand safely is left out. */
export function aclEntriesFor(file: AclFile, username: string | undefined, clientId: string): AclEntry[] {
  const own = username === undefined ? file.anonymous : (file.users.get(username) ?? []);
  const expanded: AclEntry[] = [];
  for (const pattern of file.patterns) {
    if (pattern.topic.includes('%u') && (username === undefined || !safeLevel(username))) continue;
    if (pattern.topic.includes('%c') && !safeLevel(clientId)) continue;
    expanded.push({ access: pattern.access, topic: pattern.topic.replaceAll('%u', username ?? '').replaceAll('%c', clientId) });
  }
  return [...own, ...expanded];
}

/**
 * Whether the entries allow a request on a topic (or, for subscribe, a filter: one within a read
 * grant). `subscribe-wide` also grants a wildcard filter that only overlaps a read grant (what a
 * controller's `amora/devices/+/connection` needs); delivery is then checked message by message.
 */
export function aclAllows(entries: readonly AclEntry[], request: AclRequest | 'subscribe-wide', topic: string): boolean {
  if (request === 'subscribe-wide') {
    if (aclAllows(entries, 'subscribe', topic)) return true;
    if (!/[+#]/.test(topic)) return false;
    return entries.some((entry) => (entry.access === 'read' || entry.access === 'readwrite') && filtersOverlap(topic, entry.topic));
  }
  const covers = (entry: AclEntry): boolean => (request === 'subscribe' ? filterWithin(topic, entry.topic) : topicMatches(entry.topic, topic));
  if (entries.some((entry) => entry.access === 'deny' && covers(entry))) return false;
  const wanted = request === 'write' ? 'write' : 'read';
  return entries.some((entry) => (entry.access === wanted || entry.access === 'readwrite') && covers(entry));
}

/** A username or client id substituted into a pattern must stay one topic level (no wildcards, no '/'). */
function safeLevel(value: string): boolean {
  return value !== '' && !/[+#/]/.test(value);
}
