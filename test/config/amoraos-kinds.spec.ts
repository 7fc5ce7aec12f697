import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/parse.js';
import { parseAwsIotOptions, type AwsIotOptionsInput } from '../../adapters/aws-iot/options.js';
import { parseAzureIotHubOptions, type AzureIotHubOptionsInput } from '../../adapters/azure-iot-hub/options.js';

/** The `transports` entry of a parsed config without its `kind`, as the registry hands it to the kind. */
function options(entry: Record<string, unknown> | undefined): Record<string, unknown> {
  const { kind: _kind, ...rest } = entry ?? {};
  return rest;
}

// The AmoraOS mapping must produce what each kind's own schema accepts, not merely a kind name.
describe('AmoraOS iot sections against the real kind schemas', () => {
  it('provider aws gives options the aws-iot kind accepts', () => {
    const config = parseConfig({
      device: { device_id: 'anc-1' },
      iot: { provider: 'aws', endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', cert_path: '/certs/device.pem.crt', key_path: '/certs/private.pem.key', port: '8883' },
    });
    expect(config.transports[0]?.kind).toBe('aws-iot');
    const parsed = parseAwsIotOptions(options(config.transports[0]) as AwsIotOptionsInput);
    expect(parsed).toMatchObject({ endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', certPath: '/certs/device.pem.crt', keyPath: '/certs/private.pem.key', port: 8883 });
  });

  it('the default provider gives options the azure-iot-hub kind accepts', () => {
    const config = parseConfig({ device: { device_id: 'p-1' }, iot: { connection_string: 'HostName=h.azure-devices.net;DeviceId=p-1;SharedAccessKey=a2V5' } });
    expect(config.transports[0]?.kind).toBe('azure-iot-hub');
    expect(() => parseAzureIotHubOptions(options(config.transports[0]) as AzureIotHubOptionsInput)).not.toThrow();
  });
});
