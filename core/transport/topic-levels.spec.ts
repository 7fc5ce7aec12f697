import { describe, expect, it } from 'vitest';
import { topicLevelProblem, topicPrefixProblem } from './topic-levels.js';

describe('topic levels', () => {
  it.each(['a+b', 'a#', 'a/b', '', 'a\u0000b'])('refuses %j as one level', (value) => {
    expect(topicLevelProblem(value)).toBeDefined();
  });

  it('refuses wildcard, empty-level and $-prefixes', () => {
    for (const prefix of ['', 'a/+', 'a//b', '#', '$SYS', 'a/']) expect(topicPrefixProblem(prefix)).toBeDefined();
    expect(topicPrefixProblem('amora')).toBeUndefined();
    expect(topicPrefixProblem('site/amora')).toBeUndefined();
    expect(topicLevelProblem('player-001')).toBeUndefined();
  });

  it('names the owner of $ topics', () => {
    expect(topicPrefixProblem('$SYS')).toBe("must not start with '$' (reserved for broker topics)");
    expect(topicPrefixProblem('$aws', 'AWS IoT topics')).toBe("must not start with '$' (reserved for AWS IoT topics)");
  });
});
