import { describe, expect, it } from 'vitest';
import { aclAllows, aclEntriesFor, parseAclFile } from './acl-file.js';
import { filtersOverlap, filterWithin } from './topic-filters.js';

const FILE = `
# anonymous clients
topic read public/#

user ops
topic readwrite amora/#
topic deny amora/devices/secret/#

user player-001
topic write amora/devices/player-001/state
pattern read amora/devices/%u/commands
pattern write amora/clients/%c/responses
`;

describe('Mosquitto ACL file', () => {
  const acl = parseAclFile(FILE);

  it('gives the lines before the first user to anonymous clients only', () => {
    expect(aclAllows(aclEntriesFor(acl, undefined, 'c1'), 'read', 'public/news')).toBe(true);
    expect(aclAllows(aclEntriesFor(acl, 'ops', 'c1'), 'read', 'public/news')).toBe(false);
  });

  it('lets deny win over a wider grant', () => {
    const ops = aclEntriesFor(acl, 'ops', 'c1');
    expect(aclAllows(ops, 'write', 'amora/devices/player-001/commands')).toBe(true);
    expect(aclAllows(ops, 'read', 'amora/devices/secret/state')).toBe(false);
  });

  it('expands patterns with the username and client id for every user, wherever they stand', () => {
    const device = aclEntriesFor(acl, 'player-001', 'amora-player-001');
    expect(aclAllows(device, 'subscribe', 'amora/devices/player-001/commands')).toBe(true);
    expect(aclAllows(device, 'subscribe', 'amora/devices/player-002/commands')).toBe(false);
    expect(aclAllows(device, 'write', 'amora/clients/amora-player-001/responses')).toBe(true);
    expect(aclAllows(aclEntriesFor(acl, 'ops', 'x'), 'read', 'amora/devices/ops/commands')).toBe(true);
  });

  it('keeps read and write apart', () => {
    const device = aclEntriesFor(acl, 'player-001', 'amora-player-001');
    expect(aclAllows(device, 'write', 'amora/devices/player-001/state')).toBe(true);
    expect(aclAllows(device, 'read', 'amora/devices/player-001/state')).toBe(false);
    expect(aclAllows(device, 'write', 'amora/devices/player-001/commands')).toBe(false);
  });

  it('never expands a pattern with a username that would widen it', () => {
    const wild = aclEntriesFor(acl, '+', 'c1');
    expect(aclAllows(wild, 'read', 'amora/devices/player-001/commands')).toBe(false);
  });

  it('refuses a subscription wider than the grant, unless asked for the wide reading', () => {
    const device = aclEntriesFor(acl, 'player-001', 'amora-player-001');
    expect(aclAllows(device, 'subscribe', 'amora/devices/+/commands')).toBe(false);
    expect(aclAllows(device, 'subscribe', '#')).toBe(false);
    expect(aclAllows(device, 'subscribe-wide', 'amora/devices/+/commands')).toBe(true);
    expect(aclAllows(device, 'subscribe-wide', 'amora/devices/player-002/#')).toBe(false);
    expect(aclAllows(device, 'subscribe-wide', 'amora/devices/player-002/commands')).toBe(false);
  });

  it('names the bad line', () => {
    expect(() => parseAclFile('user a\nallow everything\n', 'acl')).toThrow(/acl line 2: unknown keyword "allow"/);
    expect(() => parseAclFile('topic\n')).toThrow(/line 1: "topic" needs a topic/);
  });
});

describe('filterWithin', () => {
  it.each([
    ['a/b', 'a/#', true],
    ['a/+/c', 'a/#', true],
    ['a/#', 'a/#', true],
    ['#', 'a/#', false],
    ['a/+', 'a/b', false],
    ['a/b', 'a/+', true],
    ['a/b/c', 'a/+', false],
    ['$SYS/x', '#', false],
  ])('%s within %s is %s', (filter, grant, expected) => {
    expect(filterWithin(filter, grant)).toBe(expected);
  });
});

describe('filtersOverlap', () => {
  it.each([
    ['amora/devices/+/state', 'amora/devices/d1/#', true],
    ['amora/devices/+/state', 'amora/devices/d1/state', true],
    ['amora/devices/d2/#', 'amora/devices/d1/state', false],
    ['#', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['+/x', '$SYS/x', false],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(filtersOverlap(a, b)).toBe(expected);
    expect(filtersOverlap(b, a)).toBe(expected);
  });
});
