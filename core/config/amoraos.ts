import { isJsonObject } from '../state/json.js';
import { brokerTransport } from './amoraos-broker.js';
import { AmoraOsKeyChecker, withoutUndefined } from './amoraos-keys.js';
import { iotTransport, statusIntervalMs } from './amoraos-iot.js';

/**
 * The AmoraOS seed's `config.json` layout (IoT integration guide), mapped onto the native one so
 * existing devices run unchanged:
 *
 * - `device.id` or `device.device_id` → `device.id`; `device.name` → `device.name`
 * - `dev_mode: true` → `player: {kind: 'virtual'}` (wins over `mpd`, as in the seed) and `dev_mode: true`
 * - `mpd {host, port, password?}` → `player: {kind: 'mpd', host, port, password}`
 * - `audio {volume, device, backend}` → `audio` (starting volume and output, reported backend)
 * - `content {storage_path, playlists_path}` → `content {storagePath, playlistsPath}`
 * - `broker {...}` → an `mqtt` transport (see amoraos-broker.ts)
 * - `iot {...}` → an `azure-iot-hub` or `aws-iot` transport (see amoraos-iot.ts);
 *   `iot.telemetry_interval` (seconds) → `telemetry.statusIntervalMs` (60 s when absent)
 *
 * A `broker` or `iot` section with `enabled: false` (or `"false"`) is skipped. Other keys (`plugins`,
 * `commands`, `telemetry`, `system`, `log`, `metrics`) are carried over as they are. An unknown key close to a
 * known one is a ConfigError (a typo); any other is ignored and listed in `ignored` (amoraos-keys.ts).
 */
const AMORAOS_KEYS = ['mpd', 'broker', 'iot', 'dev_mode', 'audio', 'content'] as const;
const NATIVE_PASSTHROUGH = ['plugins', 'commands', 'telemetry', 'system', 'log', 'metrics'] as const;
const TOP_LEVEL_KEYS = ['device', ...AMORAOS_KEYS, ...NATIVE_PASSTHROUGH];
const SECTION_KEYS = {
  device: ['device_id', 'id', 'name', 'profile'],
  mpd: ['host', 'port', 'password'],
  broker: ['enabled', 'host', 'broker_url', 'port', 'username', 'password', 'use_tls', 'tls', 'topic_prefix', 'device_id', 'client_id'],
  audio: ['volume', 'device', 'backend'],
  content: ['storage_path', 'playlists_path'],
} as const;

/** The status telemetry interval of an AmoraOS device that names none: the guide's `telemetry_interval: 60`. */
const DEFAULT_STATUS_INTERVAL_MS = 60_000;

/** An AmoraOS file mapped to the native layout, and the key paths it holds that nothing uses. */
export interface AmoraOsMapping {
  readonly config: Record<string, unknown>;
  readonly ignored: readonly string[];
}

/** True for an AmoraOS `config.json`: no `transports` list, but one of its own sections. */
export function isAmoraOsLayout(raw: unknown): raw is Record<string, unknown> {
  if (!isJsonObject(raw) || 'transports' in raw) return false;
  return AMORAOS_KEYS.some((key) => key in raw) || (isJsonObject(raw['device']) && 'device_id' in raw['device']);
}

/**
 * Maps an AmoraOS layout to the native one (the schema validates the result).
 * @throws ConfigError listing every mistyped key and every section of the wrong shape.
 */
export function fromAmoraOs(raw: Record<string, unknown>): AmoraOsMapping {
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

  const audio = keys.section(raw, 'audio', SECTION_KEYS.audio);
  if (raw['audio'] !== undefined) out['audio'] = withoutUndefined({ volume: audio['volume'], device: audio['device'], backend: audio['backend'] });
  const content = keys.section(raw, 'content', SECTION_KEYS.content);
  if (raw['content'] !== undefined) out['content'] = withoutUndefined({ storagePath: content['storage_path'], playlistsPath: content['playlists_path'] });

  const transports: Record<string, unknown>[] = [];
  const broker = keys.section(raw, 'broker', SECTION_KEYS.broker);
  // Mapped (and so checked) even when disabled.
  const brokerEntry = raw['broker'] === undefined ? undefined : brokerTransport(broker, keys);
  if (brokerEntry && !disabled(broker)) transports.push(brokerEntry);
  const iot = keys.section(raw, 'iot', undefined);
  const iotEntry = raw['iot'] === undefined ? undefined : iotTransport(iot, keys);
  if (iotEntry && !disabled(iot)) transports.push(iotEntry);
  const interval = statusIntervalMs(iot, keys);
  keys.throwIfAny();
  out['transports'] = transports;

  for (const key of NATIVE_PASSTHROUGH) if (raw[key] !== undefined) out[key] = raw[key];
  const telemetry = isJsonObject(out['telemetry']) ? out['telemetry'] : {};
  out['telemetry'] = { statusIntervalMs: interval ?? DEFAULT_STATUS_INTERVAL_MS, ...telemetry };
  return { config: out, ignored: keys.ignored };
}

/** `enabled: false` (or `"false"`, from interpolation) switches a section off. */
function disabled(section: Record<string, unknown>): boolean {
  return section['enabled'] === false || section['enabled'] === 'false';
}
