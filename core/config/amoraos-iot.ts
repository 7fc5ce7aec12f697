import { withoutUndefined, type AmoraOsKeyChecker } from './amoraos-keys.js';

/**
 * The AmoraOS `iot` section as one transport entry. `provider` picks the kind:
 *
 * - absent, `azure` or `azure-iot-hub`: `{kind: azure-iot-hub, connectionString, directMethods,
 *   twin}` from `connection_string` (or `connectionString`), `enable_direct_methods` and
 *   `enable_device_twin` (false switches that feature off);
 * - `aws` or `aws-iot`: `{kind: aws-iot, endpoint, port, thingName, certPath, keyPath, caPath,
 *   keepAliveSeconds}` from the snake_case keys below (or the kind's own names). What the section
 *   leaves out the kind takes from the ANC variables (`IOT_ENDPOINT`, `IOT_CERT_PATH`, ...).
 *   AWS IoT Core has no connection strings: one here is a ConfigError saying what to write;
 * - any other name: a plugin kind of that name, given `connectionString`.
 */
const CONNECTION_STRING_KEYS = ['connection_string', 'connectionString'] as const;
/** `telemetry_interval` is the agent's (statusIntervalMs below), whatever the provider. */
const COMMON_KEYS = ['provider', 'enabled', 'telemetry_interval'] as const;
const AZURE_SWITCHES = { enable_direct_methods: 'directMethods', enable_device_twin: 'twin' } as const;

/** AmoraOS `iot` key → `aws-iot` option. */
const AWS_OPTIONS: Readonly<Record<string, string>> = {
  endpoint: 'endpoint',
  port: 'port',
  thing_name: 'thingName',
  thingName: 'thingName',
  cert_path: 'certPath',
  certPath: 'certPath',
  key_path: 'keyPath',
  keyPath: 'keyPath',
  ca_path: 'caPath',
  caPath: 'caPath',
  keep_alive: 'keepAliveSeconds',
  keepAliveSeconds: 'keepAliveSeconds',
};

/** The transport of an enabled `iot` section, or undefined after recording a problem in `keys`. */
export function iotTransport(iot: Record<string, unknown>, keys: AmoraOsKeyChecker): Record<string, unknown> | undefined {
  const provider = iot['provider'];
  if (provider !== undefined && (typeof provider !== 'string' || provider === '')) {
    keys.add(['iot', 'provider'], 'expected a provider name: azure (the default), aws, or the kind of a plugin');
    return undefined;
  }
  const kind = providerKind(provider);
  if (kind === 'aws-iot') return awsTransport(iot, keys);
  if (kind !== 'azure-iot-hub') {
    keys.check(['iot'], iot, [...COMMON_KEYS, ...CONNECTION_STRING_KEYS], 'iot keys');
    return withoutUndefined({ kind, connectionString: iot['connection_string'] ?? iot['connectionString'] });
  }
  keys.check(['iot'], iot, [...COMMON_KEYS, ...CONNECTION_STRING_KEYS, ...Object.keys(AZURE_SWITCHES)], 'iot keys');
  return withoutUndefined({
    kind,
    connectionString: iot['connection_string'] ?? iot['connectionString'],
    directMethods: iot['enable_direct_methods'],
    twin: iot['enable_device_twin'],
  });
}

function providerKind(provider: string | undefined): string {
  const name = provider?.toLowerCase();
  if (name === undefined || name === 'azure' || name === 'azure-iot-hub') return 'azure-iot-hub';
  if (name === 'aws' || name === 'aws-iot') return 'aws-iot';
  return provider as string;
}

function awsTransport(iot: Record<string, unknown>, keys: AmoraOsKeyChecker): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...iot };
  for (const key of CONNECTION_STRING_KEYS) {
    if (!(key in iot)) continue;
    delete rest[key];
    keys.add(
      ['iot', key],
      'AWS IoT Core has no connection string: write iot.endpoint, iot.cert_path and iot.key_path ' +
        '(iot.ca_path, iot.thing_name and iot.port when needed), or set IOT_ENDPOINT, IOT_CERT_PATH and IOT_KEY_PATH',
    );
  }
  keys.check(['iot'], rest, [...COMMON_KEYS, ...Object.keys(AWS_OPTIONS)], 'iot keys with provider aws');
  const out: Record<string, unknown> = { kind: 'aws-iot' };
  for (const [from, to] of Object.entries(AWS_OPTIONS)) {
    if (iot[from] !== undefined && out[to] === undefined) out[to] = iot[from];
  }
  return out;
}

/**
 * `iot.telemetry_interval` (seconds, as in the guide) in milliseconds, undefined when absent; a
 * value that is not a positive number of seconds is recorded as a problem.
 */
export function statusIntervalMs(iot: Record<string, unknown>, keys: AmoraOsKeyChecker): number | undefined {
  const value = iot['telemetry_interval'];
  if (value === undefined) return undefined;
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    keys.add(['iot', 'telemetry_interval'], 'expected seconds between playerStatus messages, a positive number');
    return undefined;
  }
  return Math.max(1, Math.round(seconds * 1000));
}
