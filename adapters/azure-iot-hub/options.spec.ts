import { describe, expect, it } from 'vitest';
import { parseAzureIotHubOptions } from './options.js';

describe('azure-iot-hub options', () => {
  it('default to MQTT over TLS with the env fallbacks left open', () => {
    expect(parseAzureIotHubOptions({})).toMatchObject({ transport: 'mqtt', keepaliveSeconds: 60, refreshIntervalMs: 5_000, methodConnectTimeoutSeconds: 0 });
    expect(parseAzureIotHubOptions({}).connectionString).toBeUndefined();
  });

  it('read empty strings from ${VAR:-} as absent, and numbers from strings', () => {
    const options = parseAzureIotHubOptions({ connectionString: '', ca: '', serviceConnectionString: '', keepaliveSeconds: '30' as never });
    expect(options).toMatchObject({ keepaliveSeconds: 30 });
    expect(options.connectionString).toBeUndefined();
    expect(options.ca).toBeUndefined();
  });

  it('refuse what is not a connection string, unknown keys and a renewal margin beyond the token lifetime', () => {
    expect(() => parseAzureIotHubOptions({ connectionString: 'nope' })).toThrow(/IoT Hub device connection string/);
    expect(() => parseAzureIotHubOptions({ conectionString: 'x' } as never)).toThrow(/conectionString/);
    expect(() => parseAzureIotHubOptions({ sasTokenTtlSeconds: 600, sasRenewalMarginSeconds: 600 })).toThrow(/sasRenewalMarginSeconds/);
  });
});
