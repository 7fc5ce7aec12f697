import { isJsonObject } from '../state/json.js';
import { AmoraOsKeyChecker, withoutUndefined } from './amoraos-keys.js';
import type { EnvRecord } from './interpolate.js';

/**
 * The ANC headset document's JSON config (AWS IoT Integration for ANC Platform), mapped onto the
 * native layout as one `aws-iot` transport, so a headset's existing file runs unchanged:
 *
 * | ANC file | native |
 * |---|---|
 * | `iot.thing_name` (or `IOT_THING_NAME`) | `device.id` and the transport's `thingName` |
 * | `iot.endpoint`, `cert_path`, `key_path`, `root_ca_path`, `port`, `keep_alive` | `aws-iot` `endpoint`, `certPath`, `keyPath`, `caPath`, `port`, `keepAliveSeconds` |
 * | `telemetry.batch_size` (or `TELEMETRY_BATCH_SIZE`) | `telemetry.batchSize` |
 * | `telemetry.batch_interval` s (or `TELEMETRY_BATCH_INTERVAL`) | `telemetry.batchIntervalMs` |
 * | `telemetry.max_buffer_size` | `aws-iot` `telemetry.maxBufferSize` (kept while offline) |
 * | `shadow.sync_interval` s | `system.uptimeIntervalMs`: the reported state is refreshed (a shadow update) that often |
 *
 * The transport uses the document's topics: prefix `anc` (`anc/devices/{id}/commands`,
 * `anc/telemetry/{id}/{kind}`), and the kinds `status` and `emergency` on `anc/devices/{id}/status`
 * and `/emergency`. Variables fill only what the file leaves out, as the `IOT_*` ones do for the
 * `aws-iot` kind (which reads `IOT_ENDPOINT`, `IOT_CERT_PATH`, ... itself). `device`, `plugins`,
 * `commands` and `log` may be added in the native form (e.g. `device.profile`). As in the AmoraOS
 * layout, an unknown key close to a known one is an error naming both; any other is ignored and
 * named in LoadedConfig.ignoredKeys.
 */
export const ANC_TOPIC_PREFIX = 'anc';
/** Telemetry kinds the document sends on device topics rather than `anc/telemetry/...`. */
export const ANC_DEVICE_TOPIC_KINDS = ['status', 'emergency'] as const;

const TOP_LEVEL_KEYS = ['iot', 'telemetry', 'shadow', 'device', 'plugins', 'commands', 'log'];
const SECTION_KEYS = {
  iot: ['thing_name', 'endpoint', 'cert_path', 'key_path', 'root_ca_path', 'port', 'keep_alive'],
  telemetry: ['batch_size', 'batch_interval', 'max_buffer_size'],
  shadow: ['sync_interval'],
  device: ['id', 'name', 'profile'],
} as const;

/** True for the ANC file: no `transports`, an `iot` section, and one of the document's own marks. */
export function isAncAwsLayout(raw: unknown): raw is Record<string, unknown> {
  if (!isJsonObject(raw) || 'transports' in raw || !isJsonObject(raw['iot'])) return false;
  const telemetry = raw['telemetry'];
  return (
    'shadow' in raw ||
    'root_ca_path' in raw['iot'] ||
    (isJsonObject(telemetry) && SECTION_KEYS.telemetry.some((key) => key in telemetry))
  );
}

/**
 * Maps the ANC layout to the native one (the schema validates the result).
 * @throws ConfigError listing every likely typo, section of the wrong shape and bad interval.
 */
export function fromAncAws(raw: Record<string, unknown>, env: EnvRecord): { readonly config: Record<string, unknown>; readonly ignored: readonly string[] } {
  const keys = new AmoraOsKeyChecker();
  keys.check([], raw, TOP_LEVEL_KEYS, 'ANC config keys');
  const iot = keys.section(raw, 'iot', SECTION_KEYS.iot);
  const telemetry = keys.section(raw, 'telemetry', SECTION_KEYS.telemetry);
  const shadow = keys.section(raw, 'shadow', SECTION_KEYS.shadow);
  const device = keys.section(raw, 'device', SECTION_KEYS.device);

  const thingName = iot['thing_name'] ?? nonEmpty(env['IOT_THING_NAME']);
  const id = device['id'] ?? thingName;
  if (id === undefined) keys.add(['iot', 'thing_name'], 'required (or set IOT_THING_NAME): the thing name is the device id');

  const batchSize = telemetry['batch_size'] ?? nonEmpty(env['TELEMETRY_BATCH_SIZE']);
  const batchInterval = telemetry['batch_interval'] ?? nonEmpty(env['TELEMETRY_BATCH_INTERVAL']);
  const syncInterval = shadow['sync_interval'];
  const batchIntervalMs = milliseconds(batchInterval, ['telemetry', 'batch_interval'], keys);
  const uptimeIntervalMs = milliseconds(syncInterval, ['shadow', 'sync_interval'], keys);
  keys.throwIfAny();

  const transport = withoutUndefined({
    kind: 'aws-iot',
    endpoint: iot['endpoint'],
    thingName,
    certPath: iot['cert_path'],
    keyPath: iot['key_path'],
    caPath: iot['root_ca_path'],
    port: iot['port'],
    keepAliveSeconds: iot['keep_alive'],
    topicPrefix: ANC_TOPIC_PREFIX,
    telemetry: withoutUndefined({ maxBufferSize: telemetry['max_buffer_size'], deviceTopics: [...ANC_DEVICE_TOPIC_KINDS] }),
  });
  const out: Record<string, unknown> = {
    device: withoutUndefined({ id, name: device['name'], profile: device['profile'] }),
    transports: [transport],
  };
  const agentTelemetry = withoutUndefined({ batchSize, batchIntervalMs });
  if (Object.keys(agentTelemetry).length > 0) out['telemetry'] = agentTelemetry;
  if (uptimeIntervalMs !== undefined) out['system'] = { uptimeIntervalMs };
  for (const key of ['plugins', 'commands', 'log']) if (raw[key] !== undefined) out[key] = raw[key];
  return { config: out, ignored: keys.ignored };
}

/** Seconds (a number, or its string form from a variable) as milliseconds; a problem is recorded. */
function milliseconds(value: unknown, path: readonly string[], keys: AmoraOsKeyChecker): number | undefined {
  if (value === undefined) return undefined;
  const seconds = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    keys.add(path, 'expected seconds, a positive number');
    return undefined;
  }
  return Math.round(seconds * 1000);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
