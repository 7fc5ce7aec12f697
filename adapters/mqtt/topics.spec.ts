import { describe, expect, it } from 'vitest';
import {
  AmoraError,
  ConfigError,
} from '../../core/index.js';
import { MqttTopics } from './topics.js';

describe('MqttTopics', () => {
  const topics = new MqttTopics();

  it('lays out every device channel under the default prefix', () => {
    expect(topics.state('p1')).toBe('amora/devices/p1/state');
    expect(topics.commands('p1')).toBe('amora/devices/p1/commands');
    expect(topics.responses('p1')).toBe('amora/devices/p1/responses');
    expect(topics.connection('p1')).toBe('amora/devices/p1/connection');
    expect(topics.desired('p1')).toBe('amora/devices/p1/desired');
    expect(topics.telemetry('p1', 'playerStatus')).toBe('amora/devices/p1/telemetry/playerStatus');
    expect(topics.allDevices('connection')).toBe('amora/devices/+/connection');
    expect(topics.telemetryFilter('+')).toBe('amora/devices/+/telemetry/#');
    expect(topics.clientResponses('ctl-1')).toBe('amora/clients/ctl-1/responses');
  });

  it('accepts a multi-level prefix', () => {
    expect(new MqttTopics('site-1/amora').state('p1')).toBe('site-1/amora/devices/p1/state');
  });

  it('parses its own topics and nothing else', () => {
    expect(topics.parse('amora/devices/p1/state')).toEqual({ deviceId: 'p1', channel: 'state' });
    expect(topics.parse('amora/devices/p1/telemetry/metrics')).toEqual({ deviceId: 'p1', channel: 'telemetry', kind: 'metrics' });
    expect(topics.parse('amora/devices/p1/telemetry')).toBeUndefined();
    expect(topics.parse('amora/devices/p1/state/extra')).toBeUndefined();
    expect(topics.parse('amora/devices/p1/unknown')).toBeUndefined();
    expect(topics.parse('other/devices/p1/state')).toBeUndefined();
  });

  it.each(['a+b', 'a#', 'a/b', ''])('refuses %j as a device id or telemetry kind', (value) => {
    expect(() => topics.state(value)).toThrow(AmoraError);
    expect(() => topics.telemetry('p1', value)).toThrow(/telemetry kind/);
  });

  it('refuses wildcard, empty-level and $-prefixes', () => {
    for (const prefix of ['', 'a/+', 'a//b', '#', '$SYS', 'a/']) {
      expect(() => new MqttTopics(prefix)).toThrow(ConfigError);
    }
    expect(new MqttTopics('amora').prefix).toBe('amora');
  });
});
