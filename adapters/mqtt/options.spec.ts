import { describe, expect, it } from 'vitest';
import { mqttOptionsSchema, parseMqttOptions } from './options.js';

function issues(input: unknown): string[] {
  const result = mqttOptionsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('mqtt options', () => {
  it('fills defaults: MQTT 5, QoS 1 everywhere, amora prefix', () => {
    const options = parseMqttOptions({ url: 'mqtt://broker:1883' });
    expect(options).toMatchObject({
      url: 'mqtt://broker:1883',
      topicPrefix: 'amora',
      protocolVersion: 5,
      keepaliveSeconds: 30,
      qos: { state: 1, commands: 1, responses: 1, telemetry: 1, connection: 1 },
      connectTimeoutMs: 10_000,
      outboxSize: 1_000,
      maxPayloadBytes: 262_144,
    });
    expect(options.retry).toBeUndefined();
  });

  it.each(['mqtt://h:1883', 'mqtts://h:8883', 'ws://h/mqtt', 'wss://h:443/mqtt'])('accepts %s', (url) => {
    expect(issues({ url })).toEqual([]);
  });

  it.each(['http://h', 'h:1883', 'tcp://h:1883'])('refuses %s naming the url key', (url) => {
    expect(issues({ url })[0]).toMatch(/^url: expected a broker URL/);
  });

  it('reads numbers and booleans from strings, as ${VAR} interpolation produces them', () => {
    const options = parseMqttOptions({
      protocolVersion: '4' as never,
      keepaliveSeconds: '15' as never,
      qos: { state: '0' as never },
      tls: { rejectUnauthorized: 'false' as never },
    });
    expect(options.protocolVersion).toBe(4);
    expect(options.keepaliveSeconds).toBe(15);
    expect(options.qos.state).toBe(0);
    expect(options.qos.commands).toBe(1);
    expect(options.tls?.rejectUnauthorized).toBe(false);
  });

  it('names the bad key', () => {
    expect(issues({ qos: { state: 3 } })).toEqual(['qos.state: expected QoS 0, 1 or 2']);
    expect(issues({ protocolVersion: 3 })[0]).toMatch(/^protocolVersion: /);
    expect(issues({ topicPrefix: 'a/+/b' })[0]).toMatch(/^topicPrefix: topicPrefix has an invalid level/);
    expect(issues({ clientId: 'a/b' })[0]).toMatch(/^clientId: /);
    expect(issues({ urll: 'mqtt://h' })[0]).toMatch(/urll/);
    expect(issues({ retry: { initialMs: 0 } })[0]).toMatch(/^retry.initialMs: /);
  });

  it('fills retry defaults when the section is present', () => {
    expect(parseMqttOptions({ retry: {} }).retry).toEqual({ initialMs: 1_000, maxMs: 30_000 });
  });
});
