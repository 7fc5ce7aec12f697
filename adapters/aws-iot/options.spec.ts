import { describe, expect, it } from 'vitest';
import { awsIotOptionsSchema, parseAwsIotOptions, withAncEnvironment } from './options.js';

const minimal = { endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', certPath: '/c.pem', keyPath: '/k.pem' };

function issues(input: object): string[] {
  const result = awsIotOptionsSchema.safeParse({ ...minimal, ...input });
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('aws-iot options', () => {
  it('fills what the entry leaves out from the ANC guide environment; the entry wins', () => {
    const env = {
      IOT_ENDPOINT: 'env-ats.iot.us-east-1.amazonaws.com',
      IOT_THING_NAME: 'headset-7',
      IOT_CERT_PATH: '/env/cert.pem',
      IOT_KEY_PATH: '/env/key.pem',
      IOT_ROOT_CA_PATH: '/env/AmazonRootCA1.pem',
      IOT_PORT: '443',
      IOT_KEEP_ALIVE: '120',
    };
    const options = parseAwsIotOptions(withAncEnvironment({ certPath: '/file/cert.pem' }, env) as never);
    expect(options).toMatchObject({
      endpoint: 'env-ats.iot.us-east-1.amazonaws.com',
      thingName: 'headset-7',
      certPath: '/file/cert.pem',
      keyPath: '/env/key.pem',
      caPath: '/env/AmazonRootCA1.pem',
      port: 443,
      keepAliveSeconds: 120,
    });
  });

  it('reads the process environment through the kind schema', () => {
    process.env['IOT_THING_NAME'] = 'from-process-env';
    try {
      expect(awsIotOptionsSchema.parse(minimal)).toMatchObject({ thingName: 'from-process-env' });
    } finally {
      delete process.env['IOT_THING_NAME'];
    }
  });

  it('has defaults fit for AWS IoT Core', () => {
    expect(parseAwsIotOptions(minimal)).toMatchObject({
      port: 8883,
      keepAliveSeconds: 30,
      cleanSession: false,
      topicPrefix: 'amora',
      qos: { commands: 1, responses: 1, telemetry: 1, connection: 1 },
      retainPresence: true,
      shadow: { conflictRetries: 5, maxStateBytes: 8192, offloadSections: [] },
      telemetry: { maxPublishesPerSecond: 50, maxBufferSize: 1000, deviceTopics: [] },
      controller: { commandPublish: 'mqtt' },
    });
  });

  it('refuses QoS 2, more than 100 publishes per second and invalid names, naming the key', () => {
    expect(issues({ qos: { commands: 2 } })).toEqual(['qos.commands: expected QoS 0 or 1 (AWS IoT Core has no QoS 2)']);
    expect(issues({ telemetry: { maxPublishesPerSecond: 150 } })[0]).toMatch(/^telemetry.maxPublishesPerSecond/);
    expect(issues({ thingName: 'a/b' })[0]).toMatch(/^thingName: expected a thing name/);
    expect(issues({ topicPrefix: '$aws' })[0]).toMatch(/^topicPrefix: topicPrefix must not start with '\$'/);
    expect(issues({ telemetry: { deviceTopics: ['emergency', 'commands'] } })[0]).toMatch(/^telemetry.deviceTopics.1: expected a telemetry kind .* other than commands/);
    expect(issues({ telemetry: { deviceTopics: ['a/b'] } })[0]).toMatch(/^telemetry.deviceTopics.0/);
  });

  it('treats optional options interpolated to an empty string as absent', () => {
    const options = parseAwsIotOptions({ ...minimal, caPath: '', shadowName: '', controller: { httpsEndpoint: '' } });
    expect(options.caPath).toBeUndefined();
    expect(options.shadowName).toBeUndefined();
    expect(options.controller.httpsEndpoint).toBeUndefined();
  });

  it('names the ANC variable when the endpoint is missing', () => {
    const result = awsIotOptionsSchema.safeParse({ certPath: '/c', keyPath: '/k' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('IOT_ENDPOINT');
  });
});
