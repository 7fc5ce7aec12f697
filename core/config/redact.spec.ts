import { describe, expect, it } from 'vitest';
import { redactSecrets, redactString } from './redact.js';

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
