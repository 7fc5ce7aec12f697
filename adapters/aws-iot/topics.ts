/**
 * Amora's own topics on AWS IoT Core (state and desired state travel in the Device Shadow
 * instead). Payloads are those of the generic MQTT protocol (docs/protocol.md); the layout is
 * the same except telemetry, which AWS IoT rules usually select by `{p}/telemetry/#`:
 *
 * | topic                             | direction        | payload          |
 * |-----------------------------------|------------------|------------------|
 * | `{p}/devices/{thing}/commands`    | → device         | CommandRequest   |
 * | `{p}/devices/{thing}/responses`   | device →         | CommandResponse  |
 * | `{p}/devices/{thing}/connection`  | device → (+ LWT) | presence message |
 * | `{p}/telemetry/{thing}/{kind}`    | device →         | telemetry batch  |
 * | `{p}/devices/{thing}/{kind}`      | device →         | telemetry batch of a kind in `telemetry.deviceTopics` |
 */

import { DEFAULT_TOPIC_PREFIX, topicLevelProblem, topicPrefixProblem as prefixProblem } from '../../core/internal.js';

export { DEFAULT_TOPIC_PREFIX };

/** Why a value cannot be a topic prefix, or undefined when it can ('$' is AWS's reserved space). */
export function topicPrefixProblem(prefix: string): string | undefined {
  return prefixProblem(prefix, 'AWS IoT topics');
}

function checkedLevel(value: string, what: string): string {
  const problem = topicLevelProblem(value);
  if (problem) throw new RangeError(`${what} "${value}" ${problem}`);
  return value;
}

/** Builds and parses the Amora topics of one prefix on AWS IoT. */
export class AwsTopics {
  constructor(readonly prefix: string = DEFAULT_TOPIC_PREFIX) {
    const problem = topicPrefixProblem(prefix);
    if (problem) throw new RangeError(`topic prefix "${prefix}" ${problem}`);
  }

  commands(thingName: string): string {
    return `${this.prefix}/devices/${checkedLevel(thingName, 'thing name')}/commands`;
  }

  responses(thingName: string): string {
    return `${this.prefix}/devices/${checkedLevel(thingName, 'thing name')}/responses`;
  }

  connection(thingName: string): string {
    return `${this.prefix}/devices/${checkedLevel(thingName, 'thing name')}/connection`;
  }

  /** `{p}/devices/{thing}/{kind}`: telemetry a deployment routes beside the device's own topics. */
  deviceTelemetry(thingName: string, kind: string): string {
    return `${this.prefix}/devices/${checkedLevel(thingName, 'thing name')}/${checkedLevel(kind, 'telemetry kind')}`;
  }

  telemetry(thingName: string, kind: string): string {
    return `${this.prefix}/telemetry/${checkedLevel(thingName, 'thing name')}/${checkedLevel(kind, 'telemetry kind')}`;
  }

  /** `{p}/devices/+/{channel}`: one channel of every device, for controllers. */
  allDevices(channel: 'responses' | 'connection'): string {
    return `${this.prefix}/devices/+/${channel}`;
  }

  /** The thing name and channel of a device topic; undefined for any other topic. */
  parseDevice(topic: string): { thingName: string; channel: 'commands' | 'responses' | 'connection' } | undefined {
    const head = `${this.prefix}/devices/`;
    if (!topic.startsWith(head)) return undefined;
    const [thingName, channel, ...rest] = topic.slice(head.length).split('/');
    if (!thingName || rest.length > 0) return undefined;
    if (channel !== 'commands' && channel !== 'responses' && channel !== 'connection') return undefined;
    return { thingName, channel };
  }
}
