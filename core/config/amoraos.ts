import { isJsonObject } from '../state/json.js';
import { AmoraOsKeyChecker, withoutUndefined } from './amoraos-keys.js';
import { iotTransport } from './amoraos-iot.js';

/**
 * The AmoraOS seed's `config.json` layout, mapped onto the native one so existing devices run
 * unchanged:
 *
 * - `device.id` or `device.device_id` → `device.id`; `device.name` → `device.name`
 * - `dev_mode: true` → `player: {kind: 'virtual'}` (wins over `mpd`, as in the seed) and `dev_mode: true`
 * - `mpd {host, port, password?}` → `player: {kind: 'mpd', host, port, password}`
 * - `broker {host, port, username?, password?, use_tls?|tls?, topic_prefix?}` →
 *   transport `{kind: 'mqtt', url: mqtt(s)://host:port, username, password, topicPrefix}`
 * - `iot {provider?, ...}` → an `azure-iot-hub` or `aws-iot` transport (see amoraos-iot.ts)
 *
 * A `broker` or `iot` section with `enabled: false` (or `"false"`) is skipped. Other keys (`plugins`, `commands`,
 * `telemetry`, `system`, `log`) are carried over as they are. Any other key, at the top or inside
 * the AmoraOS sections, is a ConfigError naming it and the known keys: the seed dropped a typo
 * such as `brokr` silently, leaving a device without its broker.
 */
const AMORAOS_KEYS = ['mpd', 'broker', 'iot', 'dev_mode'] as const;
const NATIVE_PASSTHROUGH = ['plugins', 'commands', 'telemetry', 'system', 'log'] as const;
const TOP_LEVEL_KEYS = ['device', ...AMORAOS_KEYS, ...NATIVE_PASSTHROUGH];
const SECTION_KEYS = {
  device: ['device_id', 'id', 'name', 'profile'],
  mpd: ['host', 'port', 'password'],
  broker: ['enabled', 'host', 'port', 'username', 'password', 'use_tls', 'tls', 'topic_prefix'],
} as const;

/** True for an AmoraOS `config.json`: no `transports` list, but one of its own sections. */
export function isAmoraOsLayout(raw: unknown): raw is Record<string, unknown> {
  if (!isJsonObject(raw) || 'transports' in raw) return false;
  return AMORAOS_KEYS.some((key) => key in raw) || (isJsonObject(raw['device']) && 'device_id' in raw['device']);
}

/**
 * Maps an AmoraOS layout to the native one (the schema validates the result).
 * @throws ConfigError listing every unknown key and every section of the wrong shape.
 */
export function fromAmoraOs(raw: Record<string, unknown>): Record<string, unknown> {
  const keys = new AmoraOsKeyChecker();
  keys.check([], raw, TOP_LEVEL_KEYS, 'AmoraOS config.json keys');
  const device = keys.section(raw, 'device', SECTION_KEYS.device);
  const out: Record<string, unknown> = {
    device: withoutUndefined({ id: device['id'] ?? device['device_id'], name: device['name'], profile: device['profile'] }),
  };

  const mpd = keys.section(raw, 'mpd', SECTION_KEYS.mpd);
  const devMode = raw['dev_mode'] === true || raw['dev_mode'] === 'true';
  // dev_mode also makes `reboot` restart the agent in-process.
  if (devMode) out['dev_mode'] = true;
  if (devMode) out['player'] = { kind: 'virtual' };
  else if (raw['mpd'] !== undefined) out['player'] = withoutUndefined({ kind: 'mpd', host: mpd['host'], port: mpd['port'], password: mpd['password'] });

  const transports: Record<string, unknown>[] = [];
  const broker = keys.section(raw, 'broker', SECTION_KEYS.broker);
  if (raw['broker'] !== undefined && !disabled(broker)) transports.push(brokerTransport(broker));
  const iot = keys.section(raw, 'iot', undefined);
  // Mapped (and so checked) even when disabled, like `broker`.
  const iotEntry = raw['iot'] === undefined ? undefined : iotTransport(iot, keys);
  if (iotEntry && !disabled(iot)) transports.push(iotEntry);
  keys.throwIfAny();
  out['transports'] = transports;

  for (const key of NATIVE_PASSTHROUGH) if (raw[key] !== undefined) out[key] = raw[key];
  return out;
}

function brokerTransport(broker: Record<string, unknown>): Record<string, unknown> {
  const tls = broker['use_tls'] ?? broker['tls'];
  const secure = tls === true || tls === 'true';
  const host = String(broker['host'] ?? 'localhost');
  const port = broker['port'] ?? (secure ? 8883 : 1883);
  return withoutUndefined({
    kind: 'mqtt',
    url: `${secure ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${String(port)}`,
    username: broker['username'],
    password: broker['password'],
    topicPrefix: broker['topic_prefix'],
  });
}

/** `enabled: false` (or `"false"`, from interpolation) switches a section off. */
function disabled(section: Record<string, unknown>): boolean {
  return section['enabled'] === false || section['enabled'] === 'false';
}
