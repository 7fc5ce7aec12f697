import { describe, expect, it } from 'vitest';
import { parseShadowTopic, shadowTopic } from './shadow-topics.js';
import { AwsTopics } from './topics.js';

describe('shadow topics', () => {
  it('builds and parses classic and named shadow topics', () => {
    expect(shadowTopic('player-001', undefined, 'update/delta')).toBe('$aws/things/player-001/shadow/update/delta');
    expect(shadowTopic('player-001', 'audio', 'get')).toBe('$aws/things/player-001/shadow/name/audio/get');
    expect(parseShadowTopic('$aws/things/player-001/shadow/update')).toEqual({ thingName: 'player-001', operation: 'update' });
    expect(parseShadowTopic('$aws/things/p/shadow/name/audio/get/rejected')).toEqual({ thingName: 'p', shadowName: 'audio', operation: 'get', result: 'rejected' });
  });

  it('rejects topics outside the service and impossible suffixes', () => {
    for (const topic of ['$aws/things/p/shadow/get/delta', '$aws/things/p/shadow/list', '$aws/things/p/shadow/update/accepted/x', 'amora/devices/p/state', '$aws/things/a+b/shadow/get']) {
      expect({ topic, parsed: parseShadowTopic(topic) }).toEqual({ topic, parsed: undefined });
    }
    expect(() => shadowTopic('bad/name', undefined, 'get')).toThrow(RangeError);
  });

  it('lays out the Amora topics on AWS IoT', () => {
    const topics = new AwsTopics();
    expect(topics.commands('p1')).toBe('amora/devices/p1/commands');
    expect(topics.telemetry('p1', 'metrics')).toBe('amora/telemetry/p1/metrics');
    expect(topics.parseDevice('amora/devices/p1/connection')).toEqual({ thingName: 'p1', channel: 'connection' });
    expect(topics.parseDevice('amora/devices/p1/state')).toBeUndefined();
    expect(() => topics.telemetry('p1', 'a/b')).toThrow(RangeError);
  });
});
