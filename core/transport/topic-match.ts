/** True when an MQTT topic filter (`+` one level, `#` the rest) matches a topic name. */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  // Wildcards never match topics starting with '$' (broker topics), per the MQTT spec.
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false;
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** True when a filter contains a wildcard. */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}
