import type { FleetPass, FleetReport } from './fleet.js';
import type { FleetKind } from './fleet-link.js';
import type { LatencySummary } from './latency-recorder.js';
import { passSpread, PERCENTILES_NOTE } from './report-rows.js';

/** `amora bench fleet` as a person reads it: every pass in run order, then amora / raw as ratios of medians. */

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const fixed = (value: number, digits: number): string => value.toFixed(digits);
const latency = (s: LatencySummary): string => [s.p50, s.p95, s.p99, s.max].map((v) => fixed(v, v < 10 ? 2 : 1)).join(' / ');

/** Each measure the summary compares, read from a pass; lower is better for all of them. */
const MEASURES: readonly { readonly label: string; readonly unit: string; readonly of: (pass: FleetPass) => number }[] = [
  { label: 'state latency p50', unit: 'ms', of: (p) => p.stateLatency.p50 },
  { label: 'state latency p99', unit: 'ms', of: (p) => p.stateLatency.p99 },
  { label: 'command round trip p50', unit: 'ms', of: (p) => p.commandRoundTrip.p50 },
  { label: 'command round trip p99', unit: 'ms', of: (p) => p.commandRoundTrip.p99 },
  { label: 'heap per device', unit: 'KiB', of: (p) => p.heapPerDevice / 1024 },
  { label: 'RSS per device', unit: 'KiB', of: (p) => p.rssPerDevice / 1024 },
  { label: 'CPU per message published', unit: 'µs', of: (p) => p.cpuPerMessageMicros },
  { label: 'scavenge pause p50', unit: 'ms', of: (p) => p.collector.minor.medianMs },
  { label: 'GC pauses per update', unit: 'µs', of: pausedMicrosPerUpdate },
  { label: 'time until all online', unit: 'ms', of: (p) => p.onlineMs },
];

export function formatFleetReport(report: FleetReport): string {
  const o = report.options;
  const lines = [
    `Amora Sync fleet benchmark, ${report.date}`,
    `${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.node}, load ${report.machine.loadavg.join(' ')}`,
    `${o.devices} devices in one process, ${o.clients} subscribers in ${o.subscriberProcesses} process(es), ${o.rate} state update(s)/s per device for ${o.durationS} s; ` +
      `one command every ${o.commandIntervalMs} ms meanwhile; ${o.runs} round(s), order reversed each round`,
    `broker: ${o.broker}; Amora on MQTT ${o.protocolVersion === 4 ? '3.1.1' : '5'}, raw mqtt.js on 3.1.1`,
    `command probe: one command at a time, each to a device it has not commanded yet (until it has commanded them all); it hears answers on ${o.probeResponses === 'device' ? "each device's responses topic, subscribed before its first command (amora: responseSubscription device; raw: the wildcard)" : 'the wildcard {p}/devices/+/responses (amora: responseSubscription fleet)'}`,
    `subscribers (plain mqtt.js, one device each): all connected in ${fixed(report.subscribers.connectMs / 1000, 1)} s, heap ${kib(report.subscribers.heapPerClient)} KiB, RSS ${kib(report.subscribers.rssPerClient)} KiB per connection`,
    '',
    PERCENTILES_NOTE,
    'passes in run order; latencies p50 / p95 / p99 / max in ms',
    ...report.passes.map(passLine),
    '',
    `amora / raw, medians of the passes (min-max of each side):`,
    ...MEASURES.map(({ label, unit, of }) => summaryLine(label, unit, report.passes, of)),
  ];
  return lines.join('\n');
}

function passLine(pass: FleetPass, index: number): string {
  const lost = pass.expected - pass.delivered;
  return [
    `  ${index + 1}. ${pass.who.padEnd(5)} online ${fixed(pass.onlineMs / 1000, 2)} s; heap ${kib(pass.heapPerDevice)} KiB, RSS ${kib(pass.rssPerDevice)} KiB per device; CPU ${fixed(pass.cpuPerMessageMicros, 0)} µs per message published (${fixed(pass.cpuPerUpdateMicros, 0)} per update made)`,
    `     busy (share of one core): devices process ${percent(pass.devicesBusy)}, busiest subscribers process ${percent(pass.subscribersBusy)}; subscribers' CPU ${fixed(pass.subscribersCpuPerDeliveryMicros, 0)} µs per delivery`,
    `     delivered ${pass.delivered}/${pass.expected}${lost > 0 ? ` (${lost} missing)` : ''}${pass.delivered > pass.expected ? ' (more than sent: duplicates)' : ''}; ${pass.sent} updates made, ${published(pass)}; sends late against the schedule p99 ${fixed(pass.sendLate.p99, 1)} ms`,
    `     collector while sending: ${collectorLine(pass)}`,
    ...schedulerLine(pass),
    `     state ${latency(pass.stateLatency)}; command round trip ${latency(pass.commandRoundTrip)} (n ${pass.commandRoundTrip.samples}${pass.commandsUnanswered > 0 ? `, ${pass.commandsUnanswered} unanswered` : ''})`,
  ].join('\n');
}

function summaryLine(label: string, unit: string, passes: readonly FleetPass[], of: (pass: FleetPass) => number): string {
  const side = (who: FleetKind) => passSpread(passes.filter((pass) => pass.who === who).map(of));
  const spread = (s: { median: number; min: number; max: number }): string => `${fmt(s.median)} ${unit} (${fmt(s.min)}-${fmt(s.max)})`;
  const amora = side('amora');
  const raw = side('raw');
  return `  ${label.padEnd(26)} ${(amora.median / raw.median).toFixed(2)}x   amora ${spread(amora)}, raw ${spread(raw)}`;
}

/** What reached the wire, and the updates that never did (merged by latest-wins), when some did not. */
function published(pass: FleetPass): string {
  const merged = pass.published < pass.watchedSent ? ` (${pass.watchedSent - pass.published} merged into later states)` : '';
  const of = pass.watchedSent < pass.sent ? ` of the ${pass.watchedSent} made by the ${pass.watchedDevices} devices watched` : '';
  return `${pass.published} published${of}${merged}`;
}

/** The pauses of all kinds on the devices process's main thread while sending, per update made. */
function pausedMicrosPerUpdate(pass: FleetPass): number {
  const { minor, major, other } = pass.collector;
  return ((minor.totalMs + major.totalMs + other.totalMs) * 1000) / pass.sent;
}

/** Scavenges and full collections with their pauses, and what the old generation gained per update. */
function collectorLine(pass: FleetPass): string {
  const { minor, major, other } = pass.collector;
  const full = major.count > 0 ? `${major.count} full (${fixed(major.totalMs, 1)} ms)` : 'no full collection';
  const steps = other.count > 0 ? `, ${other.count} other pauses (${fixed(other.totalMs, 1)} ms)` : '';
  return (
    `${minor.count} scavenges (pause p50 ${fixed(minor.medianMs, 1)} ms, longest ${fixed(minor.maxMs, 1)}), ${full}${steps}; ` +
    `${fixed(pausedMicrosPerUpdate(pass), 1)} µs paused and ${fixed(pass.collector.oldGrowthBytes / pass.sent, 0)} bytes of old generation gained per update`
  );
}

/** How long the broker and the devices process's main thread waited for a core while sending (none where there is no schedstat). */
function schedulerLine(pass: FleetPass): string[] {
  const { broker, devices } = pass.scheduler;
  const parts = [
    ...(devices ? [`devices process's main thread ${percent(devices.waiting)} (it ran ${percent(devices.running)})`] : []),
    ...(broker ? [`broker ${percent(broker.waiting)} (it ran ${percent(broker.running)})`] : []),
  ];
  return parts.length > 0 ? [`     waiting for a core while sending (share of the window): ${parts.join(', ')}`] : [];
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

function fmt(value: number): string {
  return Math.abs(value) < 10 ? value.toFixed(2) : value.toFixed(0);
}
