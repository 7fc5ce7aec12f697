import mqtt from 'mqtt';
import type { PluginRegistry } from '../../core/index.js';
import { isProtocolRefusal } from '../../core/mqtt.js';
import { startAgentPair, startPairController } from './agent-pair.js';
import { forkSibling } from './fleet-link.js';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.js';
import { connectRaw, openRawCommands, sendRawCommands, type RawCommands } from './raw-mqtt.js';
import { roundRatios, type RatioSpread } from './round-ratios.js';
import { alternatingRounds } from './rounds.js';
import { commandRoundTrip } from './transport-probe.js';

/**
 * The command round trip of raw mqtt.js and Amora, each over MQTT 3.1.1 and MQTT 5, on one broker,
 * interleaved in short blocks. The whole-pass rows compare Amora on MQTT 5 (its default) with raw
 * mqtt.js on 3.1.1, minutes apart on a machine whose speed drifts; here every side is connected
 * at once and each round runs one block of each, so a ratio of two blocks of the same round
 * separates Amora's share from the protocol's.
 *
 * It runs twice: with the devices in this process, and with them in a process of their own
 * (cli/bench/command-devices.ts), as a device and its controller are deployed. Sharing one event
 * loop, whatever either end does after a write (an agent's bookkeeping after it has sent the
 * answer) delays the other end's next read; apart, it does not.
 */

export type CommandSide = 'raw-4' | 'amora-4' | 'raw-5' | 'amora-5';

/** The first round's order (later rounds reverse it): each Amora side next to the raw side of its version. */
export const COMMAND_SIDES: readonly CommandSide[] = ['raw-4', 'amora-4', 'raw-5', 'amora-5'];

/** Per-round ratios reported: each Amora side against raw of its version, then what MQTT 5 costs. */
const RATIOS: readonly { readonly of: CommandSide; readonly to: CommandSide }[] = [
  { of: 'amora-4', to: 'raw-4' },
  { of: 'amora-5', to: 'raw-5' },
  { of: 'raw-5', to: 'raw-4' },
  { of: 'amora-5', to: 'raw-4' },
];

export interface CommandVersionsPlan {
  /** Back-to-back round trips per side in each round. */
  readonly block: number;
  readonly rounds: number;
  /** Round trips per side before the first round, not recorded. */
  readonly warmup: number;
}

export interface CommandSideResult {
  readonly side: CommandSide;
  /** Over all its samples (every block). */
  readonly commandRoundTrip: LatencySummary;
  /** The p50 of each of its blocks, in round order (LatencyRecorder's, as `commandRoundTrip.p50`). */
  readonly blockP50s: readonly number[];
}

/** The median (and IQR) over the rounds of `of`'s block p50 / `to`'s block p50 in the same round. */
export interface CommandRatio extends RatioSpread {
  readonly of: CommandSide;
  readonly to: CommandSide;
}

/** Where the devices that answer run: beside their callers, or in a process of their own. */
export type DevicePlacement = 'in-process' | 'own-process';

/** Orchestrator → the devices process (cli/bench/command-devices.ts). */
export type CommandDevicesRequest = { readonly type: 'start'; readonly url: string; readonly sides: readonly CommandSide[]; readonly idSuffix: string } | { readonly type: 'stop' };

/** The devices process → orchestrator. */
export type CommandDevicesReply = { readonly type: 'ready' } | { readonly type: 'failed'; readonly message: string };

export interface CommandVersionsResult extends CommandVersionsPlan {
  /** Where the devices ran. */
  readonly devices: DevicePlacement;
  /** The sides measured, in the first round's order; every other round ran them reversed. */
  readonly sides: readonly CommandSideResult[];
  readonly ratios: readonly CommandRatio[];
  /** Sides not measured, and why (aedes refuses MQTT 5). */
  readonly unavailable?: { readonly sides: readonly CommandSide[]; readonly reason: string };
}

/** The per-round ratios between the sides measured (a ratio whose side is missing is left out). */
export function commandRatios(sides: readonly Pick<CommandSideResult, 'side' | 'blockP50s'>[]): CommandRatio[] {
  const blocks = new Map(sides.map((side) => [side.side, side.blockP50s]));
  return RATIOS.flatMap(({ of, to }) => {
    const numerator = blocks.get(of);
    const denominator = blocks.get(to);
    return numerator && denominator ? [{ of, to, ...roundRatios(numerator, denominator) }] : [];
  });
}

/** One side's command path, connected and ready. */
interface Side {
  readonly side: CommandSide;
  /** Times its next command → response, in ms. */
  roundTrip(): Promise<number>;
  stop(): Promise<void>;
}

export async function runCommandVersions(
  registry: PluginRegistry,
  url: string,
  plan: CommandVersionsPlan,
  devices: DevicePlacement = 'in-process',
): Promise<CommandVersionsResult> {
  const refusal = await refusesMqtt5(url);
  const names = refusal === undefined ? COMMAND_SIDES : COMMAND_SIDES.filter((side) => side.endsWith('-4'));
  const sides: Side[] = [];
  const apart = devices === 'own-process' ? forkSibling<CommandDevicesRequest, CommandDevicesReply>('./command-devices.js', 'command devices process') : undefined;
  const idSuffix = `${process.pid}-apart`;
  try {
    if (apart) {
      apart.send({ type: 'start', url, sides: names, idSuffix });
      await apart.next('ready');
    }
    // One at a time: a side that fails to start leaves the ones before it to be stopped below.
    for (const name of names) sides.push(await (apart ? startCaller(registry, url, name, idSuffix) : startSide(registry, url, name)));
    for (const side of sides) for (let i = 0; i < plan.warmup; i++) await side.roundTrip();
    const recorders = new Map(sides.map((side) => [side, new LatencyRecorder()]));
    const blockP50s = new Map(sides.map((side) => [side, [] as number[]]));
    for (const { who } of alternatingRounds(plan.rounds, sides)) {
      const samples: number[] = [];
      for (let i = 0; i < plan.block; i++) samples.push(await who.roundTrip());
      // The block's p50 by the same definition as the row's p50 beside the ratio (an interpolated
      // median of an even block sits up to half the middle gap higher).
      const block = new LatencyRecorder();
      for (const ms of samples) {
        recorders.get(who)!.record(ms);
        block.record(ms);
      }
      blockP50s.get(who)!.push(block.summary().p50);
    }
    const results = sides.map((side) => ({ side: side.side, commandRoundTrip: recorders.get(side)!.summary(), blockP50s: blockP50s.get(side)! }));
    return {
      ...plan,
      devices,
      sides: results,
      ratios: commandRatios(results),
      ...(refusal === undefined
        ? {}
        : {
            unavailable: {
              sides: COMMAND_SIDES.filter((side) => !names.includes(side)),
              reason: `the broker refuses MQTT 5 (${refusal}); Amora falls back to 3.1.1 there, so an MQTT 5 side would measure 3.1.1 again`,
            },
          }),
    };
  } finally {
    for (const side of sides.toReversed()) await side.stop();
    await apart?.stop({ type: 'stop' });
  }
}

async function startSide(registry: PluginRegistry, url: string, side: CommandSide): Promise<Side> {
  const protocolVersion = versionOf(side);
  if (side.startsWith('amora')) {
    let sent = 0;
    const pair = await startAgentPair(registry, { deviceId: commandDeviceId(side, String(process.pid)), transport: { kind: 'mqtt', url, protocolVersion } });
    return { side, roundTrip: () => commandRoundTrip(pair, sent++), stop: () => pair.stop() };
  }
  const device = await connectRaw(url, `raw-device-v${protocolVersion}`, true, protocolVersion);
  const app = await connectRaw(url, `raw-app-v${protocolVersion}`, true, protocolVersion).catch(async (error: unknown) => {
    await device.endAsync();
    throw error;
  });
  const end = (): Promise<unknown> => Promise.all([device.endAsync(), app.endAsync()]);
  const commands = await openRawCommands(device, app, protocolVersion).catch(async (error: unknown) => {
    await end();
    throw error;
  });
  return rawSide(side, commands, end);
}

/** A raw side from its command path and what ends its clients. */
function rawSide(side: CommandSide, commands: RawCommands, end: () => Promise<unknown>): Side {
  let sent = 0;
  return {
    side,
    roundTrip: () => commands.roundTrip(sent++),
    async stop() {
      await commands.close();
      await end();
    },
  };
}

/** The MQTT version a side speaks. */
export function versionOf(side: CommandSide): 4 | 5 {
  return side.endsWith('-5') ? 5 : 4;
}

/** The name of a side's device (an agent's id): the same in this process and in the devices process. */
export function commandDeviceId(side: CommandSide, suffix: string): string {
  return `bench-v${versionOf(side)}-${suffix}`;
}

/** A side's caller alone (a controller, or raw mqtt.js's app); its device runs in the devices process. */
async function startCaller(registry: PluginRegistry, url: string, side: CommandSide, idSuffix: string): Promise<Side> {
  const protocolVersion = versionOf(side);
  if (side.startsWith('amora')) {
    let sent = 0;
    const deviceId = commandDeviceId(side, idSuffix);
    const controller = await startPairController(registry, { deviceId, transport: { kind: 'mqtt', url, protocolVersion } });
    return { side, roundTrip: () => commandRoundTrip({ controller, deviceId }, sent++), stop: () => controller.stop() };
  }
  const app = await connectRaw(url, `raw-app-v${protocolVersion}`, true, protocolVersion);
  const commands = await sendRawCommands(app, protocolVersion).catch(async (error: unknown) => {
    await app.endAsync();
    throw error;
  });
  return rawSide(side, commands, () => app.endAsync());
}

/**
 * Why the broker refuses an MQTT 5 connection (aedes speaks 3.1.1 only), or undefined when it
 * accepts one: the refusal Amora's own connection falls back to 3.1.1 on (isProtocolRefusal).
 */
async function refusesMqtt5(url: string): Promise<string | undefined> {
  try {
    const client = await mqtt.connectAsync(url, { clientId: `bench-v5-probe-${process.pid}`, protocolVersion: 5, reconnectPeriod: 0 });
    await client.endAsync();
    return undefined;
  } catch (error) {
    if (!isProtocolRefusal(error)) throw error;
    return `CONNACK code ${(error as { code: number }).code}, unacceptable protocol version`;
  }
}
