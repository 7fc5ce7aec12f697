/**
 * The generic MQTT topic layout. Everything about one device lives under
 * `{prefix}/devices/{deviceId}/`, so one ACL rule per device (or a `+` subscription per channel)
 * covers it:
 *
 * | topic                              | direction | retained | payload                  |
 * |------------------------------------|-----------|----------|--------------------------|
 * | `{p}/devices/{id}/state`           | out       | yes      | DeviceStateMessage       |
 * | `{p}/devices/{id}/commands`        | in        | no       | CommandRequest           |
 * | `{p}/devices/{id}/responses`       | out       | no       | CommandResponse          |
 * | `{p}/devices/{id}/connection`      | out (LWT) | yes      | ConnectionMessage        |
 * | `{p}/devices/{id}/telemetry/{kind}`| out       | no       | TelemetryMessage         |
 * | `{p}/devices/{id}/desired`         | in        | no       | JSON merge patch         |
 * | `{p}/clients/{clientId}/responses` | in (ctl)  | no       | CommandResponse (MQTT 5) |
 */

import { AmoraError, ConfigError } from '../../core/index.js';
import { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem } from '../../core/internal.js';

export { DEFAULT_TOPIC_PREFIX };

/** The per-device channels of the layout. */
export type DeviceChannel = 'state' | 'commands' | 'responses' | 'connection' | 'telemetry' | 'desired';

const DEVICE_CHANNELS: ReadonlySet<string> = new Set<DeviceChannel>([
  'state',
  'commands',
  'responses',
  'connection',
  'telemetry',
  'desired',
]);

/** Throws an `invalid_params` AmoraError naming the value when it cannot be a topic level. */
export function assertTopicLevel(value: string, what: string): string {
  const problem = topicLevelProblem(value);
  if (problem) throw new AmoraError('invalid_params', `${what} "${value}" ${problem}`, { details: { [what]: value } });
  return value;
}

/** A device topic taken apart. */
export interface ParsedDeviceTopic {
  readonly deviceId: string;
  readonly channel: DeviceChannel;
  /** The telemetry kind, for telemetry topics. */
  readonly kind?: string;
}

/** Builds and parses the topics of one prefix. */
export class MqttTopics {
  private readonly devices: string;

  constructor(readonly prefix: string = DEFAULT_TOPIC_PREFIX) {
    const problem = topicPrefixProblem(prefix);
    if (problem) throw new ConfigError(`topic prefix "${prefix}" ${problem}`, { details: { path: 'topicPrefix' } });
    this.devices = `${prefix}/devices/`;
  }

  state(deviceId: string): string {
    return this.device(deviceId, 'state');
  }

  commands(deviceId: string): string {
    return this.device(deviceId, 'commands');
  }

  responses(deviceId: string): string {
    return this.device(deviceId, 'responses');
  }

  connection(deviceId: string): string {
    return this.device(deviceId, 'connection');
  }

  desired(deviceId: string): string {
    return this.device(deviceId, 'desired');
  }

  telemetry(deviceId: string, kind: string): string {
    return `${this.device(deviceId, 'telemetry')}/${assertTopicLevel(kind, 'telemetry kind')}`;
  }

  /** Every device's telemetry (`+` for one kind, `#` for all) — for controllers and tools. */
  telemetryFilter(deviceId: string | '+', kind: string | '#' = '#'): string {
    const id = deviceId === '+' ? '+' : assertTopicLevel(deviceId, 'device id');
    const k = kind === '#' || kind === '+' ? kind : assertTopicLevel(kind, 'telemetry kind');
    return `${this.devices}${id}/telemetry/${k}`;
  }

  /** Filter matching one channel of every device, e.g. `amora/devices/+/connection`. */
  allDevices(channel: Exclude<DeviceChannel, 'telemetry'>): string {
    return `${this.devices}+/${channel}`;
  }

  /** Where a controller asks devices to answer it (MQTT 5 response topic). */
  clientResponses(clientId: string): string {
    return `${this.prefix}/clients/${assertTopicLevel(clientId, 'client id')}/responses`;
  }

  /** Takes a device topic apart; undefined for topics outside the layout. */
  parse(topic: string): ParsedDeviceTopic | undefined {
    if (!topic.startsWith(this.devices)) return undefined;
    const [deviceId, channel, kind, ...rest] = topic.slice(this.devices.length).split('/');
    if (!deviceId || !channel || !DEVICE_CHANNELS.has(channel) || rest.length > 0) return undefined;
    if (channel === 'telemetry') return kind ? { deviceId, channel, kind } : undefined;
    return kind === undefined ? { deviceId, channel: channel as DeviceChannel } : undefined;
  }

  private device(deviceId: string, channel: DeviceChannel): string {
    return `${this.devices}${assertTopicLevel(deviceId, 'device id')}/${channel}`;
  }
}
