import { describe, expect, it } from 'vitest';
import { isAncAwsLayout } from './anc-aws.js';
import { isAmoraOsLayout } from './amoraos.js';
import { parseConfig } from './parse.js';

/** The ANC document's configuration file, as printed there. */
const SEED = {
  iot: {
    thing_name: 'anc-device-001',
    endpoint: 'xxxxx.iot.us-east-1.amazonaws.com',
    cert_path: '/path/to/cert.pem',
    key_path: '/path/to/private.key',
    root_ca_path: '/path/to/AmazonRootCA1.pem',
    port: 8883,
    keep_alive: 60,
  },
  telemetry: { batch_size: 10, batch_interval: 30, max_buffer_size: 1000 },
  shadow: { sync_interval: 60 },
};

describe('the ANC headset config file', () => {
  it('is told apart from the AmoraOS layout, which also has an `iot` section', () => {
    expect(isAncAwsLayout(SEED)).toBe(true);
    expect(isAncAwsLayout({ iot: { provider: 'aws', endpoint: 'e', cert_path: 'c', key_path: 'k', ca_path: 'a' } })).toBe(false);
    expect(isAncAwsLayout({ iot: { connection_string: 'HostName=h;DeviceId=d;SharedAccessKey=k' } })).toBe(false);
    expect(isAncAwsLayout({ ...SEED, transports: [] })).toBe(false);
    expect(isAmoraOsLayout(SEED)).toBe(true);
  });

  it('loads as an aws-iot agent with the document topics, batching and shadow refresh', () => {
    const config = parseConfig(SEED, { env: {} });
    expect(config.device).toEqual({ id: 'anc-device-001', profile: 'player' });
    expect(config.transports).toEqual([
      {
        kind: 'aws-iot',
        endpoint: 'xxxxx.iot.us-east-1.amazonaws.com',
        thingName: 'anc-device-001',
        certPath: '/path/to/cert.pem',
        keyPath: '/path/to/private.key',
        caPath: '/path/to/AmazonRootCA1.pem',
        port: 8883,
        keepAliveSeconds: 60,
        topicPrefix: 'anc',
        telemetry: { maxBufferSize: 1000, deviceTopics: ['status', 'emergency'] },
      },
    ]);
    expect(config.telemetry).toMatchObject({ batchSize: 10, batchIntervalMs: 30_000 });
    expect(config.system).toMatchObject({ uptimeIntervalMs: 60_000 });
  });

  it('takes the thing name and batching from IOT_* and TELEMETRY_* when the file leaves them out; the file wins otherwise', () => {
    const env = { IOT_THING_NAME: 'anc-env', TELEMETRY_BATCH_SIZE: '5', TELEMETRY_BATCH_INTERVAL: '2.5' };
    const sparse = parseConfig({ iot: { root_ca_path: '/ca.pem' }, shadow: { sync_interval: 60 } }, { env });
    expect(sparse.device.id).toBe('anc-env');
    expect(sparse.transports[0]).toMatchObject({ thingName: 'anc-env' });
    expect(sparse.telemetry).toMatchObject({ batchSize: 5, batchIntervalMs: 2_500 });
    const full = parseConfig(SEED, { env });
    expect(full.device.id).toBe('anc-device-001');
    expect(full.telemetry).toMatchObject({ batchSize: 10, batchIntervalMs: 30_000 });
  });

  it('accepts a native device section (e.g. the profile) and AMORA_* overrides', () => {
    const config = parseConfig({ ...SEED, device: { profile: 'anc-headset', name: 'Left ear' } }, { env: { AMORA_LOG_LEVEL: 'debug' } });
    expect(config.device).toEqual({ id: 'anc-device-001', name: 'Left ear', profile: 'anc-headset' });
    expect(config.log).toEqual({ level: 'debug' });
  });

  it('names a likely typo, a missing thing name and a bad interval in one error; ignores other unknown keys, naming them', () => {
    const bad = { iot: { endpoint: 'e', root_ca_pth: '/ca' }, telemetry: { batch_size: 10, batch_interval: 'soon' }, shadow: {} };
    expect(() => parseConfig(bad, { env: {} })).toThrow(
      /iot\.root_ca_pth: unknown key "root_ca_pth", did you mean "root_ca_path"\?.*iot\.thing_name: required \(or set IOT_THING_NAME\).*telemetry\.batch_interval: expected seconds/,
    );
    expect(parseConfig({ ...SEED, metrics: { cloudwatch: true } }, { env: {} }).ignoredKeys).toEqual(['metrics']);
  });
});
