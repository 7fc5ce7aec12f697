import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseConfig } from './parse.js';

const minimal = { device: { id: 'player-001' }, transports: [{ kind: 'mqtt', url: 'mqtt://localhost:1883' }] };

function configError(run: () => unknown): ConfigError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe('parseConfig: schema', () => {
  it('accepts a minimal config and fills defaults', () => {
    const config = parseConfig(minimal);
    expect(config.device).toEqual({ id: 'player-001', profile: 'player' });
    expect(config.transports).toEqual([{ kind: 'mqtt', url: 'mqtt://localhost:1883' }]);
    expect(config.player).toBeUndefined();
  });

  it('passes kind options through untouched', () => {
    const config = parseConfig({ ...minimal, player: { kind: 'mpd', host: 'localhost', port: 6600, extra: { a: 1 } } });
    expect(config.player).toEqual({ kind: 'mpd', host: 'localhost', port: 6600, extra: { a: 1 } });
  });

  it('records baseDir', () => {
    expect(parseConfig(minimal, { baseDir: '/etc/amora' }).baseDir).toBe('/etc/amora');
  });

  it('accepts numeric strings for numeric options', () => {
    const config = parseConfig({ ...minimal, commands: { timeoutMs: '5000' }, system: { enabled: 'false' } });
    expect(config.commands?.timeoutMs).toBe(5000);
    expect(config.system?.enabled).toBe(false);
  });

  it('names the bad key path and the expected shape', () => {
    const error = configError(() => parseConfig({ device: { id: 'x' }, transports: [{ kind: 'mqtt' }, { url: 'x' }] }));
    expect(error.message).toContain('transports[1].kind');
    expect(error.message).toContain('kind name');
    expect(error.details).toMatchObject({ path: 'transports[1].kind' });
  });

  it('requires a device id of the allowed characters', () => {
    expect(configError(() => parseConfig({ ...minimal, device: {} })).message).toMatch(/device\.id: expected a device id/);
    expect(configError(() => parseConfig({ ...minimal, device: { id: 'bad id/1' } })).message).toContain(
      'device.id: expected a device id of letters, digits',
    );
  });

  it('requires at least one transport', () => {
    expect(configError(() => parseConfig({ device: { id: 'a' }, transports: [] })).message).toContain(
      'transports: expected at least one transport',
    );
    expect(configError(() => parseConfig({ device: { id: 'a' } })).message).toContain('transports: expected a list of transports');
  });

  it('names unknown keys, so typos are caught', () => {
    const error = configError(() => parseConfig({ ...minimal, telemetry: { batchsize: 10 } }));
    expect(error.message).toContain('telemetry.batchsize: unknown key "batchsize"');
  });

  it('accepts commands.dedupeMax (the dispatcher\'s remembered answers)', () => {
    expect(parseConfig({ ...minimal, commands: { dedupeMax: '50' } }).commands?.dedupeMax).toBe(50);
    expect(configError(() => parseConfig({ ...minimal, commands: { dedupeMax: -1 } })).message).toContain('commands.dedupeMax');
  });

  it('refuses telemetry.outboxSize and says where the outbox is sized', () => {
    const error = configError(() => parseConfig({ ...minimal, telemetry: { outboxSize: 10 } }));
    expect(error.message).toContain('telemetry.outboxSize: not an agent setting');
    expect(error.message).toContain('set "outboxSize" on the transport entry (aws-iot: "telemetry.maxBufferSize")');
    expect(error.details).toMatchObject({ path: 'telemetry.outboxSize' });
  });

  it('takes state.changes latest (the default) or every, and nothing else', () => {
    expect(parseConfig({ ...minimal, state: {} }).state).toEqual({ changes: 'latest' });
    expect(parseConfig({ ...minimal, state: { changes: 'every' } }).state).toEqual({ changes: 'every' });
    expect(configError(() => parseConfig({ ...minimal, state: { changes: 'all' } })).message).toContain('state.changes');
  });

  it('names the expected values of an enum', () => {
    expect(configError(() => parseConfig({ ...minimal, log: { level: 'loud' } })).message).toMatch(/log\.level: .*"info"/);
  });

  it('prefixes errors with the source', () => {
    expect(configError(() => parseConfig({}, { source: '/etc/amora.yaml' })).message).toMatch(/^\/etc\/amora\.yaml: /);
  });
});

describe('parseConfig: ${VAR} interpolation', () => {
  it('replaces variables and defaults in every string', () => {
    const config = parseConfig(
      {
        device: { id: '${DEVICE}' },
        transports: [{ kind: 'mqtt', url: 'mqtt://${HOST:-localhost}:${PORT:-1883}', password: '${EMPTY:-fallback}' }],
      },
      { env: { DEVICE: 'player-007', PORT: '8883', EMPTY: '' } },
    );
    expect(config.device.id).toBe('player-007');
    expect(config.transports[0]).toEqual({ kind: 'mqtt', url: 'mqtt://localhost:8883', password: 'fallback' });
  });

  it('keeps $${...} as a literal', () => {
    const config = parseConfig({ ...minimal, device: { id: 'a', name: 'cost $${NOT_A_VAR}' } }, { env: {} });
    expect(config.device.name).toBe('cost ${NOT_A_VAR}');
  });

  it('an unset variable without default names the key path and the variable', () => {
    const error = configError(() =>
      parseConfig({ ...minimal, transports: [{ kind: 'azure-iot-hub', connectionString: '${AZURE_CS}' }] }, { env: {} }),
    );
    expect(error.message).toContain('transports[0].connectionString');
    expect(error.message).toContain('AZURE_CS');
    expect(error.details).toEqual({ path: 'transports[0].connectionString', variable: 'AZURE_CS' });
  });

  it('an empty variable without default is used as it is', () => {
    expect(parseConfig({ ...minimal, device: { id: 'a', name: '${EMPTY}' } }, { env: { EMPTY: '' } }).device.name).toBe('');
  });
});

describe('parseConfig: AMORA_* overrides', () => {
  it('applies the shortcuts over the file', () => {
    const config = parseConfig(minimal, {
      env: { AMORA_DEVICE_ID: 'from-env', AMORA_DEVICE_NAME: 'Kitchen', AMORA_LOG_LEVEL: 'debug', AMORA_PLAYER_KIND: 'virtual' },
    });
    expect(config.device).toMatchObject({ id: 'from-env', name: 'Kitchen' });
    expect(config.log?.level).toBe('debug');
    expect(config.player).toEqual({ kind: 'virtual' });
  });

  it('applies AMORA__a__b paths, JSON-typed values, list indexes and appends', () => {
    const config = parseConfig(minimal, {
      env: {
        AMORA__device__name: 'Living Room',
        AMORA__telemetry__batchSize: '50',
        AMORA__transports__0__url: 'mqtts://broker:8883',
        AMORA__transports__1__kind: 'azure-iot-hub',
        AMORA__transports__1__connectionString: 'HostName=h;DeviceId=d;SharedAccessKey=k',
        AMORA__plugins: '["./my-plugin.js"]',
        AMORA__device__id: '"123"',
      },
    });
    expect(config.device).toMatchObject({ id: '123', name: 'Living Room' });
    expect(config.telemetry?.batchSize).toBe(50);
    expect(config.transports).toEqual([
      { kind: 'mqtt', url: 'mqtts://broker:8883' },
      { kind: 'azure-iot-hub', connectionString: 'HostName=h;DeviceId=d;SharedAccessKey=k' },
    ]);
    expect(config.plugins).toEqual(['./my-plugin.js']);
  });

  it('ignores other AMORA_ variables', () => {
    expect(() => parseConfig(minimal, { env: { AMORA_REQUIRE_SYSTEM_DEPS: '1', AMORA_AZURE_CONNECTION_STRING: 'x' } })).not.toThrow();
  });

  it('refuses an empty path segment', () => {
    expect(configError(() => parseConfig(minimal, { env: { AMORA__device____name: 'x' } })).message).toContain(
      'AMORA__device____name: empty key segment',
    );
  });

  it('reads JSON-looking values as JSON and everything else as text', () => {
    const config = parseConfig(minimal, {
      env: { AMORA__transports__0__retain: 'false', AMORA__transports__0__port: '007', AMORA__transports__0__tags: '{"a":[1]}' },
    });
    expect(config.transports[0]).toMatchObject({ retain: false, port: '007', tags: { a: [1] } });
  });

  it('refuses a list index past the end', () => {
    expect(configError(() => parseConfig(minimal, { env: { AMORA__transports__5__kind: 'mqtt' } })).message).toContain(
      'AMORA__transports__5__kind',
    );
  });

  it('overrides are validated like the file', () => {
    expect(configError(() => parseConfig(minimal, { env: { AMORA_LOG_LEVEL: 'chatty' } })).message).toContain('log.level');
  });
});

function brokerUrlOf(broker: Record<string, unknown>): unknown {
  return parseConfig({ device: { id: 'a' }, broker }).transports[0]?.['url'];
}

describe('parseConfig: AmoraOS config.json layout', () => {
  it('maps device, mpd, broker and iot sections', () => {
    const config = parseConfig({
      device: { device_id: 'amora-42', name: 'Studio' },
      mpd: { host: 'localhost', port: 6600, password: 'pw' },
      broker: { host: 'broker.local', port: 8883, username: 'dev', password: 'secret', use_tls: true, topic_prefix: 'amora' },
      iot: { connection_string: 'HostName=hub;DeviceId=amora-42;SharedAccessKey=abc' },
    });
    expect(config.device).toEqual({ id: 'amora-42', name: 'Studio', profile: 'player' });
    expect(config.player).toEqual({ kind: 'mpd', host: 'localhost', port: 6600, password: 'pw' });
    expect(config.transports).toEqual([
      { kind: 'mqtt', url: 'mqtts://broker.local:8883', username: 'dev', password: 'secret', topicPrefix: 'amora' },
      { kind: 'azure-iot-hub', connectionString: 'HostName=hub;DeviceId=amora-42;SharedAccessKey=abc' },
    ]);
  });

  it('dev_mode selects the virtual player; tls and default ports', () => {
    const config = parseConfig({
      device: { id: 'dev-1' },
      dev_mode: true,
      mpd: { host: 'localhost', port: 6600 },
      broker: { host: 'localhost', tls: false },
      iot: { connectionString: 'HostName=hub;DeviceId=dev-1;SharedAccessKey=abc', provider: 'azure' },
    });
    expect(config.player).toEqual({ kind: 'virtual' });
    expect(config.dev_mode).toBe(true);
    expect(config.transports[0]).toEqual({ kind: 'mqtt', url: 'mqtt://localhost:1883' });
    expect(config.transports[1]?.kind).toBe('azure-iot-hub');
  });

  it('skips disabled sections, brackets IPv6 hosts and maps other iot providers to their kind', () => {
    const config = parseConfig({
      device: { id: 'a' },
      broker: { host: '::1', port: 1883, use_tls: 'true' },
      iot: { enabled: false, connection_string: 'x' },
    });
    expect(config.transports).toEqual([{ kind: 'mqtt', url: 'mqtts://[::1]:1883' }]);
    const nats = parseConfig({ device: { id: 'a' }, iot: { provider: 'nats', connectionString: 'x' } });
    expect(nats.transports).toEqual([{ kind: 'nats', connectionString: 'x' }]);
    const off = parseConfig({ device: { id: 'a' }, broker: { enabled: 'false' }, iot: { connection_string: 'HostName=h' } });
    expect(off.transports.map((t) => t.kind)).toEqual(['azure-iot-hub']);
  });

  it('maps provider aws onto the aws-iot kind\'s own options', () => {
    const config = parseConfig({
      device: { device_id: 'anc-1' },
      iot: { provider: 'aws', endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', thing_name: 'anc-1', cert_path: 'certs/device.pem.crt', key_path: 'certs/private.pem.key', ca_path: 'certs/AmazonRootCA1.pem', port: 8883, keep_alive: 60 },
    });
    expect(config.transports).toEqual([
      {
        kind: 'aws-iot',
        endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
        thingName: 'anc-1',
        certPath: 'certs/device.pem.crt',
        keyPath: 'certs/private.pem.key',
        caPath: 'certs/AmazonRootCA1.pem',
        port: 8883,
        keepAliveSeconds: 60,
      },
    ]);
    // Everything left out comes from the kind's IOT_* variables when the agent is built.
    expect(parseConfig({ device: { id: 'a' }, iot: { provider: 'AWS-IoT' } }).transports).toEqual([{ kind: 'aws-iot' }]);
  });

  it('refuses a connection string for AWS and says what to write instead, without quoting it', () => {
    const error = configError(() => parseConfig({ device: { id: 'a' }, iot: { provider: 'aws-iot', connection_string: 'HostName=h;SharedAccessKey=s3cret' } }));
    expect(error.message).toContain('iot.connection_string: AWS IoT Core has no connection string: write iot.endpoint, iot.cert_path and iot.key_path');
    expect(error.message).toContain('IOT_ENDPOINT');
    expect(error.message).not.toContain('s3cret');
    expect(error.details).toMatchObject({ path: 'iot.connection_string' });
  });

  it('names mistyped keys of the AmoraOS layout and the keys it knows', () => {
    const top = configError(() => parseConfig({ device: { device_id: 'a' }, brokr: { host: 'b' }, iot: { connection_string: 'HostName=h' } }));
    expect(top.message).toBe(
      'invalid configuration: brokr: unknown key "brokr", did you mean "broker"? (AmoraOS config.json keys: audio, broker, commands, content, dev_mode, device, iot, log, metrics, mpd, plugins, system, telemetry)',
    );
    expect(top.details).toMatchObject({ path: 'brokr' });
    const nested = configError(() => parseConfig({ device: { device_id: 'a', nmae: 'x' }, broker: { host: 'b', usrname: 'u' }, iot: { provider: 'aws', endpoint: 'e', certpath: 'c' } }));
    expect(nested.details).toMatchObject({
      issues: [
        { path: 'device.nmae', message: 'unknown key "nmae", did you mean "name"? (device keys: device_id, id, name, profile)' },
        { path: 'broker.usrname', message: expect.stringContaining('unknown key "usrname", did you mean "username"? (broker keys: broker_url, client_id, device_id, enabled, host,') },
        { path: 'iot.certpath', message: expect.stringContaining('unknown key "certpath", did you mean "certPath"? (iot keys with provider aws: ') },
      ],
    });
    expect(configError(() => parseConfig({ device: { id: 'a' }, broker: 'localhost' })).message).toContain('broker: expected an object');
    expect(configError(() => parseConfig({ device: { id: 'a' }, iot: { provider: 3 } })).message).toContain('iot.provider: expected a provider name');
  });

  it('accepts keys of other AmoraOS parts, listing them as ignored, and lists none when all are used', () => {
    const config = parseConfig({
      device: { id: 'a', location: 'hall' },
      broker: { broker_url: 'b', keepalive_seconds: 30 },
      web_ui: { port: 8080 },
      iot: { provider: 'aws', endpoint: 'e', enable_device_twin: true },
    });
    expect(config.ignoredKeys).toEqual(['web_ui', 'device.location', 'broker.keepalive_seconds', 'iot.enable_device_twin']);
    expect(parseConfig({ device: { id: 'a' }, broker: { host: 'b' } }).ignoredKeys).toBeUndefined();
  });

  it('maps every key of the IoT integration guide\'s config.json', () => {
    const config = parseConfig(JSON.parse(readFileSync(new URL('../../test/fixtures/amoraos/iot-guide-config.json', import.meta.url), 'utf8')));
    expect(config).toEqual({
      device: { id: 'waybox-player-001', name: 'Living Room Player', profile: 'player' },
      player: { kind: 'mpd', host: 'localhost', port: 6600 },
      audio: { volume: 80, device: 'default', backend: 'pipewire' },
      content: { storage_path: '/home/user/music', playlists_path: '/home/user/music/playlists', delete_removed: true, sync_enabled: false, sync_interval_s: 3600, sync_timeout_ms: 600_000 },
      transports: [
        { kind: 'mqtt', url: 'mqtt://mqtt.example.com:1883', deviceId: 'amora-player-001', username: 'username', password: 'password' },
        { kind: 'azure-iot-hub', connectionString: 'HostName=your-hub.azure-devices.net;DeviceId=your-device;SharedAccessKey=your-key', directMethods: true, twin: true },
      ],
      telemetry: { statusIntervalMs: 60_000 },
    });
  });

  it('reads broker_url as a host name or an mqtt, mqtts, ws or wss URL', () => {
    expect(brokerUrlOf({ broker_url: 'mqtt.example.com', port: 1883 })).toBe('mqtt://mqtt.example.com:1883');
    expect(brokerUrlOf({ broker_url: 'mqtt.example.com', use_tls: true })).toBe('mqtts://mqtt.example.com:8883');
    expect(brokerUrlOf({ broker_url: 'mqtt://broker:1884' })).toBe('mqtt://broker:1884');
    expect(brokerUrlOf({ broker_url: 'mqtt://broker', port: '1999' })).toBe('mqtt://broker:1999');
    expect(brokerUrlOf({ broker_url: 'mqtt://broker:1883', use_tls: true, port: 8883 })).toBe('mqtts://broker:1883');
    expect(brokerUrlOf({ broker_url: 'mqtts://broker' })).toBe('mqtts://broker:8883');
    expect(brokerUrlOf({ broker_url: 'wss://broker.example/mqtt' })).toBe('wss://broker.example:443/mqtt');
    expect(brokerUrlOf({ broker_url: 'ws://broker.example:9001/mqtt', use_tls: 'true' })).toBe('wss://broker.example:9001/mqtt');
    expect(brokerUrlOf({ broker_url: 'WS://Broker:8080' })).toBe('ws://broker:8080');
    expect(configError(() => brokerUrlOf({ broker_url: 'http://broker' })).message).toContain('broker.broker_url: expected a host name or a URL with scheme mqtt, mqtts, ws, wss');
    expect(configError(() => brokerUrlOf({ host: 'a b' })).message).toContain('broker.host: expected a host name');
  });

  it('switches Azure features off and sets the status interval from the iot section', () => {
    const config = parseConfig({
      device: { id: 'a' },
      iot: { connection_string: 'HostName=h', telemetry_interval: '2.5', enable_direct_methods: false, enable_device_twin: 'false' },
      telemetry: { batchSize: 5 },
    });
    expect(config.transports[0]).toEqual({ kind: 'azure-iot-hub', connectionString: 'HostName=h', directMethods: false, twin: 'false' });
    expect(config.telemetry).toEqual({ statusIntervalMs: 2500, batchSize: 5 });
    expect(configError(() => parseConfig({ device: { id: 'a' }, iot: { telemetry_interval: 0 } })).message).toContain('iot.telemetry_interval: expected seconds');
    expect(configError(() => parseConfig({ device: { id: 'a' }, broker: { host: 'b' }, audio: { volume: 101 } })).message).toContain('audio.volume');
  });

  it('names the config file in AmoraOS key errors', () => {
    expect(() => parseConfig({ device: { device_id: 'a' }, mdp: {}, broker: {} }, { source: '/etc/amora/config.json' })).toThrow(
      '/etc/amora/config.json: invalid configuration: mdp: unknown key "mdp", did you mean "mpd"?',
    );
  });

  it('carries native sections over and leaves native files alone', () => {
    const config = parseConfig({ device: { id: 'a' }, broker: { host: 'b' }, log: { level: 'debug' }, plugins: ['./p.js'] });
    expect(config.log?.level).toBe('debug');
    expect(config.plugins).toEqual(['./p.js']);
    // A native file that happens to have no `mpd`/`broker` keys is not mistaken for AmoraOS.
    expect(parseConfig(minimal).transports).toEqual(minimal.transports);
  });

  it('interpolates and applies overrides to the mapped layout', () => {
    const config = parseConfig(
      { device: { device_id: '${ID}' }, broker: { host: 'b', port: 1883 } },
      { env: { ID: 'amora-1', AMORA_DEVICE_NAME: 'Hall' } },
    );
    expect(config.device).toMatchObject({ id: 'amora-1', name: 'Hall' });
  });

  it('an AmoraOS file without any transport section names `transports`', () => {
    expect(configError(() => parseConfig({ device: { id: 'a' }, mpd: { host: 'h', port: 1 } })).message).toContain('transports');
  });
});
