import { isJsonObject } from '../state/json.js';

/**
 * The AmoraOS seed's `config.json` layout, mapped onto the native one so existing devices run
 * unchanged:
 *
 * - `device.id` or `device.device_id` → `device.id`; `device.name` → `device.name`
 * - `dev_mode: true` → `player: {kind: 'virtual'}` (wins over `mpd`, as in the seed)
 * - `mpd {host, port, password?}` → `player: {kind: 'mpd', host, port, password}`
 * - `broker {host, port, username?, password?, use_tls?|tls?, topic_prefix?}` →
 *   transport `{kind: 'mqtt', url: mqtt(s)://host:port, username, password, topicPrefix}`
 * - `iot {connection_string|connectionString, provider?}` → transport
 *   `{kind: provider ?? 'azure-iot-hub', connectionString}`
 *
 * A `broker` or `iot` section with `enabled: false` is skipped. Other keys (`plugins`, `commands`, `telemetry`, `system`, `log`) are carried over as they are.
 */
const AMORAOS_KEYS = ['mpd', 'broker', 'iot', 'dev_mode'] as const;
const NATIVE_PASSTHROUGH = ['plugins', 'commands', 'telemetry', 'system', 'log'] as const;

/** True for an AmoraOS `config.json`: no `transports` list, but one of its own sections. */
export function isAmoraOsLayout(raw: unknown): raw is Record<string, unknown> {
  if (!isJsonObject(raw) || 'transports' in raw) return false;
  return AMORAOS_KEYS.some((key) => key in raw) || (isJsonObject(raw['device']) && 'device_id' in raw['device']);
}

/** Maps an AmoraOS layout to the native one (unvalidated; the schema checks the result). */
export function fromAmoraOs(raw: Record<string, unknown>): Record<string, unknown> {
  const device = record(raw['device']);
  const out: Record<string, unknown> = {
    device: withoutUndefined({ id: device['id'] ?? device['device_id'], name: device['name'], profile: device['profile'] }),
  };

  const mpd = raw['mpd'];
  if (raw['dev_mode'] === true || raw['dev_mode'] === 'true') out['player'] = { kind: 'virtual' };
  else if (isJsonObject(mpd)) out['player'] = withoutUndefined({ kind: 'mpd', host: mpd['host'], port: mpd['port'], password: mpd['password'] });

  const transports: Record<string, unknown>[] = [];
  const broker = raw['broker'];
  if (isJsonObject(broker) && broker['enabled'] !== false) {
    const tls = broker['use_tls'] ?? broker['tls'];
    const secure = tls === true || tls === 'true';
    const host = String(broker['host'] ?? 'localhost');
    const port = broker['port'] ?? (secure ? 8883 : 1883);
    transports.push(
      withoutUndefined({
        kind: 'mqtt',
        url: `${secure ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${String(port)}`,
        username: broker['username'],
        password: broker['password'],
        topicPrefix: broker['topic_prefix'],
      }),
    );
  }
  const iot = raw['iot'];
  if (isJsonObject(iot) && iot['enabled'] !== false) {
    const provider = typeof iot['provider'] === 'string' && iot['provider'] !== 'azure' ? iot['provider'] : 'azure-iot-hub';
    transports.push(withoutUndefined({ kind: provider, connectionString: iot['connection_string'] ?? iot['connectionString'] }));
  }
  out['transports'] = transports;

  for (const key of NATIVE_PASSTHROUGH) if (raw[key] !== undefined) out[key] = raw[key];
  return out;
}

function record(value: unknown): Record<string, unknown> {
  return isJsonObject(value) ? (value as Record<string, unknown>) : {};
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}
