import { startAwsIotBenchTarget, type AwsIotBenchTarget } from '../../adapters/aws-iot/emulator/bench-target.js';
import {
  type PluginRegistry,
} from '../../core/index.js';
import { startAgentPair } from './agent-pair.js';
import type { CloudResult } from './scenario.js';
import { probeCommands, probeState, type ArrivalHook, type ProbeOptions } from './transport-probe.js';

const DESCRIPTION = 'AWS IoT Core emulator: device and controller over mutual TLS, the default mqtt.js link';

/**
 * Issue 5: AWS IoT Core through the local emulator, over mutual TLS at both ends with the default
 * `link: mqtt` (mqtt.js), the controller also reading the shadow over the data-plane REST API once.
 *
 * - reported state: `patch()` → the shadow service receives the update (the emulator's
 *   before-update hook), and → the controller's `state$` shows it (from `shadow/update/documents`),
 *   both from the same patch: the second is the end-to-end figure;
 * - command round trip: `invoke()` → the commands topic → the device → the responses topic, with
 *   the default QoS 1 commands; again over `link: sdk` (aws-iot-device-sdk-v2: aws-crt sockets
 *   run with Nagle's algorithm, so a QoS 1 command's PUBACK holds back the response until a
 *   delayed ACK), and over `link: sdk` with `qos.commands: 0`.
 *
 * Samples must be paced: the transport keeps under AWS's 100 publishes per second per connection.
 */
export async function runAws(registry: PluginRegistry, probe: ProbeOptions): Promise<CloudResult[]> {
  const target = await startAwsIotBenchTarget();
  try {
    const deviceId = `bench-aws-${process.pid}`;
    const transport = await target.transportFor(deviceId);
    const defaults = await measure(registry, deviceId, transport, probe, shadowArrivals(target, deviceId));
    const sdkId = `${deviceId}-sdk`;
    const sdk = await measure(registry, sdkId, { ...(await target.transportFor(sdkId)), link: 'sdk' }, probe);
    const qos0Id = `${deviceId}-sdk-qos0`;
    const qos0 = await measure(registry, qos0Id, { ...(await target.transportFor(qos0Id)), link: 'sdk', qos: { commands: 0 } }, probe);
    const commandsOnly = (name: string, description: string, commandRoundTrip: CloudResult['measures']['commandRoundTrip']): CloudResult => ({
      name,
      description,
      samples: probe.samples,
      pacingMs: probe.pacingMs,
      serviceLabel: '',
      measures: { commandRoundTrip },
    });
    return [
      { name: 'aws', description: DESCRIPTION, samples: probe.samples, pacingMs: probe.pacingMs, serviceLabel: 'shadow update received by the shadow service (emulator hook)', measures: defaults },
      commandsOnly('aws (link sdk)', 'the same over `link: sdk` (aws-iot-device-sdk-v2 on aws-crt)', sdk.commandRoundTrip),
      commandsOnly('aws (link sdk, qos.commands 0)', 'the same over `link: sdk` with `qos: {commands: 0}`', qos0.commandRoundTrip),
    ];
  } finally {
    await target.stop();
  }
}

async function measure(registry: PluginRegistry, deviceId: string, transport: Record<string, unknown>, probe: ProbeOptions, atService?: ArrivalHook) {
  const pair = await startAgentPair(registry, { deviceId, transport });
  try {
    const state = atService ? await probeState(pair, { ...probe, atService }) : {};
    return { ...state, commandRoundTrip: await probeCommands(pair, probe) };
  } finally {
    await pair.stop();
  }
}

/** The emulator's hook before each shadow update of this thing: where the service has the update. */
function shadowArrivals(target: AwsIotBenchTarget, thingName: string): ArrivalHook {
  return (arrived) => {
    target.emulator.setBeforeShadowUpdate((address) => {
      if (address.thingName === thingName && address.shadowName === undefined) arrived();
    });
    return () => target.emulator.setBeforeShadowUpdate(undefined);
  };
}
