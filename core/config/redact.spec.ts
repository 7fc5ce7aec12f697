import { describe, expect, it } from 'vitest';
import { redactSecrets, redactString, SECRET_KEY_PATTERN } from './redact.js';

describe('redactSecrets', () => {
  it('replaces values of secret-looking keys at any depth and leaves the rest', () => {
    const config = {
      device: { id: 'player-001' },
      player: { kind: 'mpd', host: 'localhost', password: 'pw' },
      transports: [
        { kind: 'azure-iot-hub', connectionString: 'HostName=h;DeviceId=d;SharedAccessKey=abc' },
        { kind: 'aws-iot', privateKey: '-----BEGIN', apiToken: 't', sasToken: 's', clientSecret: 'x', credentials: { a: 1 } },
        { kind: 'mqtt', connection_string: 'x', passphrase: 'y' },
      ],
    };
    expect(redactSecrets(config)).toEqual({
      device: { id: 'player-001' },
      player: { kind: 'mpd', host: 'localhost', password: '[redacted]' },
      transports: [
        { kind: 'azure-iot-hub', connectionString: '[redacted]' },
        { kind: 'aws-iot', privateKey: '[redacted]', apiToken: '[redacted]', sasToken: '[redacted]', clientSecret: '[redacted]', credentials: '[redacted]' },
        { kind: 'mqtt', connection_string: '[redacted]', passphrase: '[redacted]' },
      ],
    });
    expect(config.player.password).toBe('pw');
  });

  it('masks secret keys in every naming style', () => {
    const secrets = [
      'password', 'Password', 'PASSWORD', 'mqttPassword', 'passwd', 'passphrase', 'secret', 'clientSecret', 'secretAccessKey', 'secrets',
      'token', 'apiToken', 'sessionToken', 'sas', 'SAS', 'sasToken', 'credential', 'credentials', 'connectionString', 'connection_string',
      'serviceConnectionString', 'AMORA_DEVICE_CONNECTION_STRING', 'connectionstring', 'privateKey', 'private_key', 'privatekey',
      'sharedAccessKey', 'SharedAccessKey', 'sharedaccesskey', 'apiKey', 'api_key', 'API_KEY', 'apikey', 'api-key', 'key', 'Key', 'KEY',
      'keys', 'primaryKey', 'accessKeyId', 'key2', 'SharedAccessSignature',
    ];
    expect(secrets.filter((key) => !SECRET_KEY_PATTERN.test(key))).toEqual([]);
  });

  it('leaves file paths and words that merely contain a secret word visible', () => {
    const visible = [
      'keyPath', 'certPath', 'caPath', 'key_path', 'KEY_PATH', 'IOT_KEY_PATH', 'privateKeyPath', 'socketPath', 'keyboard', 'Keyboard',
      'monkey', 'hockey', 'keyword', 'keepAliveSeconds', 'kansas', 'sasquatch', 'host', 'url', 'topicPrefix', 'useTls', 'passage',
    ];
    expect(visible.filter((key) => SECRET_KEY_PATTERN.test(key))).toEqual([]);
    const aws = { kind: 'aws-iot', certPath: 'certs/device.pem.crt', keyPath: 'certs/private.pem.key', caPath: 'certs/ca.pem', keyboard: 'de' };
    expect(redactSecrets(aws)).toEqual(aws);
    expect(redactSecrets({ tls: { key: 'certs/client.key', ca: 'certs/ca.pem' } })).toEqual({ tls: { key: '[redacted]', ca: 'certs/ca.pem' } });
  });

  it('masks URL userinfo and connection-string keys inside strings', () => {
    expect(redactSecrets({ url: 'mqtts://user:pass@broker:8883/x' })).toEqual({ url: 'mqtts://[redacted]@broker:8883/x' });
    expect(redactString('failed: HostName=h;DeviceId=d;SharedAccessKey=abc=')).toBe('failed: HostName=h;DeviceId=d;SharedAccessKey=[redacted]');
    expect(redactString('SharedAccessSignature sr=h&sig=abc%2B&se=1')).toBe('SharedAccessSignature sr=h&sig=[redacted]&se=1');
    expect(redactString('mqtt://broker:1883')).toBe('mqtt://broker:1883');
  });

  it('keeps shared references and survives cycles', () => {
    const shared = { host: 'h' };
    expect(redactSecrets({ a: shared, b: shared })).toEqual({ a: { host: 'h' }, b: { host: 'h' } });
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic['self'] = cyclic;
    expect(redactSecrets(cyclic)).toEqual({ name: 'x', self: '[circular]' });
  });

  it('leaves empty secrets visible as empty (so "not set" is diagnosable)', () => {
    expect(redactSecrets({ password: '', token: null })).toEqual({ password: '', token: null });
  });
});
