import type { CommandRatio, CommandSide, CommandVersionsPlan, CommandVersionsResult, DevicePlacement } from './command-versions.js';
import { headerRow, latencyRow, noteRow } from './report-rows.js';

/** The report's table of the command round trip by MQTT version (cli/bench/command-versions.ts), under its broker. */

const WHO: Record<CommandSide, string> = { 'raw-4': 'raw mqtt 3.1.1', 'amora-4': 'amora 3.1.1', 'raw-5': 'raw mqtt 5', 'amora-5': 'amora 5' };
const AGAINST: Record<CommandSide, string> = { 'raw-4': 'raw 3.1.1', 'amora-4': 'amora 3.1.1', 'raw-5': 'raw 5', 'amora-5': 'amora 5' };

const MEASURE = 'command round trip';

/** Where the devices ran: sharing one event loop, either end's work after a write delays the other's next read. */
const PLACEMENT: Record<DevicePlacement, string> = {
  'in-process': 'devices and callers in one process',
  'own-process': 'the devices in a process of their own (as deployed)',
};

/** `1.45x raw 3.1.1 (IQR 1.40-1.52)`: the median of the per-round ratios and their interquartile range. */
export function ratioText(ratio: CommandRatio): string {
  return `${ratio.median.toFixed(2)}x ${AGAINST[ratio.to]} (IQR ${ratio.q1.toFixed(2)}-${ratio.q3.toFixed(2)})`;
}

/** What describePlan says of it. */
export function describeCommandVersions(plan: CommandVersionsPlan): string {
  return `command round trip by MQTT version ${plan.rounds} rounds of ${plan.block} per side after ${plan.warmup} warm-up, once with the devices in the callers' process and once in their own`;
}

export function commandVersionsTable(result: CommandVersionsResult): string[] {
  const order = result.sides.map((side) => side.side);
  const rows = result.sides.map((side) => {
    const ratios = result.ratios.filter((ratio) => ratio.of === side.side).map(ratioText);
    return latencyRow(MEASURE, WHO[side.side], side.commandRoundTrip, ratios.join('; '));
  });
  const unavailable = result.unavailable;
  return [
    `  by MQTT version, interleaved, ${PLACEMENT[result.devices]}: all connected at once, ${result.warmup} warm-up each, then ${result.rounds} rounds of ${result.block} back to back per side, order ${order.join(', ')}, reversed every round`,
    '  p50/p95/p99 over all of a side\'s samples; ratios: median over the rounds of block p50 (same percentile, of the block\'s samples) / the other side\'s block p50 in the same round (interquartile range)',
    headerRow(),
    ...rows,
    ...(unavailable ? [noteRow(MEASURE, unavailable.sides.map((side) => WHO[side]).join(', '), `n/a: ${unavailable.reason}`)] : []),
  ];
}
