/**
 * Topic filter relations the broker's authorization needs beyond core's topicMatches: whether a
 * subscription asks for nothing more than an ACL entry grants.
 */

/** True when every topic `filter` matches is also matched by `grant` (both may hold wildcards). */
export function filterWithin(filter: string, grant: string): boolean {
  const wanted = filter.split('/');
  const granted = grant.split('/');
  // A grant starting with a wildcard never covers '$' topics, and '$' filters need a '$' grant.
  if (filter.startsWith('$') !== grant.startsWith('$')) return false;
  for (let i = 0; i < granted.length; i++) {
    const level = granted[i];
    if (level === '#') return true;
    const asked = wanted[i];
    if (asked === undefined || asked === '#') return false;
    if (level === '+') continue;
    if (asked !== level) return false;
  }
  return wanted.length === granted.length;
}

/** True when some topic matches both filters (e.g. `amora/devices/+/state` and `amora/devices/d1/#`). */
export function filtersOverlap(a: string, b: string): boolean {
  if (a.startsWith('$') !== b.startsWith('$')) {
    // A filter starting with a wildcard never reaches '$' topics.
    const plain = a.startsWith('$') ? b : a;
    if (plain.startsWith('+') || plain.startsWith('#')) return false;
  }
  const left = a.split('/');
  const right = b.split('/');
  for (let i = 0; ; i++) {
    const l = left[i];
    const r = right[i];
    if (l === '#' || r === '#') return true;
    if (l === undefined || r === undefined) return l === r;
    if (l !== '+' && r !== '+' && l !== r) return false;
  }
}
