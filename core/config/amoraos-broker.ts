import { withoutUndefined, type AmoraOsKeyChecker } from './amoraos-keys.js';

const SCHEMES = ['mqtt', 'mqtts', 'ws', 'wss'] as const;
/** The secure scheme of each scheme, for `use_tls: true`. */
const SECURE: Readonly<Record<string, string>> = { mqtt: 'mqtts', mqtts: 'mqtts', ws: 'wss', wss: 'wss' };
const DEFAULT_PORT: Readonly<Record<string, number>> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

/**
 * The AmoraOS `broker` section as an `mqtt` transport entry:
 *
 * - `broker_url` (or `host`): a host name (`mqtt.example.com`), or a URL with scheme mqtt, mqtts,
 *   ws or wss (`wss://broker.example/mqtt`). `use_tls` (or `tls`) `true` makes mqtt mqtts and ws
 *   wss; a URL's own secure scheme stays secure. `port` is used when the URL names none; without
 *   either, 1883 / 8883 / 80 / 443 by scheme.
 * - `device_id` → `deviceId`: the device's identity on the broker, in the topics
 *   `{topic_prefix}/devices/{device_id}/...` (default: `device.id`); `client_id` → `clientId`.
 * - `username`, `password`, `topic_prefix` → `username`, `password`, `topicPrefix`.
 */
export function brokerTransport(broker: Record<string, unknown>, keys: AmoraOsKeyChecker): Record<string, unknown> | undefined {
  const tls = broker['use_tls'] ?? broker['tls'];
  const secure = tls === true || tls === 'true';
  const address = String(broker['broker_url'] ?? broker['host'] ?? 'localhost').trim();
  const url = brokerUrl(address, secure, broker['port']);
  if (url === undefined) {
    keys.add(['broker', broker['broker_url'] === undefined ? 'host' : 'broker_url'], `expected a host name or a URL with scheme ${SCHEMES.join(', ')}`);
    return undefined;
  }
  return withoutUndefined({
    kind: 'mqtt',
    url,
    deviceId: broker['device_id'],
    clientId: broker['client_id'],
    username: broker['username'],
    password: broker['password'],
    topicPrefix: broker['topic_prefix'],
  });
}

function brokerUrl(address: string, secure: boolean, port: unknown): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (address === '' || /[/\s@?#]/.test(address)) return undefined;
    const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
    const base = secure ? 'mqtts' : 'mqtt';
    return `${base}://${host}:${String(port ?? DEFAULT_PORT[base])}`;
  }
  if (!(SCHEMES as readonly string[]).includes(scheme)) return undefined;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  const target = secure ? (SECURE[scheme] as string) : scheme;
  // `URL` keeps the scheme of a non-special URL read-only, so the address is rebuilt by hand.
  const explicitPort = url.port === '' ? port : url.port;
  const rest = `${url.pathname === '/' ? '' : url.pathname}${url.search}`;
  const auth = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
  return `${target}://${auth}${url.hostname}:${String(explicitPort ?? DEFAULT_PORT[target])}${rest}`;
}
