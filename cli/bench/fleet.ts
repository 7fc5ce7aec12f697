import type { PluginRegistry } from '../../core/index.js';
import { startBenchBroker, type BenchBroker } from './brokers.js';
import type { CollectorFigures } from './collector-watch.js';
import { startCommandProbe } from './fleet-commands.js';
import { forkSibling, type ChildLink, type DevicesReply, type DevicesRequest, type FleetKind, type SubscribersReply, type SubscribersRequest, watchedDevices } from './fleet-link.js';
import { watchWire } from './fleet-wire.js';
import { pause } from './transport-probe.js';
import { watchScheduler, type SchedulerShares } from './scheduler-share.js';
import { LatencyRecorder, nowMs, type LatencySummary } from './latency-recorder.js';
import { alternatingRounds } from './rounds.js';
import { machineInfo, type BenchReport } from './report.js';

export interface FleetOptions {
  readonly devices: number;
  readonly clients: number;
  /** State updates per device per second. */
  readonly rate: number;
  readonly durationS: number;
  /** Rounds; each runs amora and raw, the order reversed every round. */
  readonly runs: number;
  /** `mosquitto` (default when installed), `embedded`, or a broker URL the bench does not start. */
  readonly broker: 'mosquitto' | 'embedded' | { readonly url: string };
  /** Child processes the subscriber connections are split across. */
  readonly subscriberProcesses: number;
  /** Pause between two commands of the probe, ms. */
  readonly commandIntervalMs: number;
  /** MQTT version of the Amora agents and the probe's controller (raw mqtt.js stays on 3.1.1). Default 5. */
  readonly protocolVersion?: 4 | 5;
  /**
   * How the probe's Amora controller hears answers (its `responseSubscription`). Default `fleet`:
   * one wildcard subscription, as the raw probe has; `device` pays a SUBSCRIBE on each device's
   * first command, and the probe commands a device it has not commanded yet each time (until it has commanded them all).
   */
  readonly probeResponses?: 'device' | 'fleet';
}

/** One pass: one kind of device fleet started, loaded and measured. */
export interface FleetPass {
  readonly who: FleetKind;
  /** From the first connect to the last device online (connects paced alike for both kinds). */
  readonly onlineMs: number;
  /** Heap and RSS the devices process grew by per device, after a full collection. */
  readonly heapPerDevice: number;
  readonly rssPerDevice: number;
  /** State updates made (`patch()` or publish); subscribers' deliveries expected (updates × subscribers of the device) and counted. */
  readonly sent: number;
  /**
   * Updates of the watched devices that reached the broker, each once however often it arrived
   * (fewer than their updates when the agent merged some): the devices the subscribers watch, all
   * of them unless there are fewer subscribers than devices.
   */
  readonly published: number;
  /** How many devices `published` counts, and their updates made. */
  readonly watchedDevices: number;
  readonly watchedSent: number;
  readonly expected: number;
  readonly delivered: number;
  /** Send → a subscriber's message, every delivery. */
  readonly stateLatency: LatencySummary;
  /** How late each send ran against the schedule (a fleet process that cannot keep up shows here). */
  readonly sendLate: LatencySummary;
  /** CPU time (user + system) of the devices process while sending, per state update made, µs. */
  readonly cpuPerUpdateMicros: number;
  /**
   * The same CPU time per state message published: updates merged away do not make it look
   * cheaper. With fewer devices watched than made, their share published stands for the fleet's.
   */
  readonly cpuPerMessageMicros: number;
  /** Share of one core the devices process used while sending (near 1: it could not keep up). */
  readonly devicesBusy: number;
  /** What the devices process's garbage collector did while sending. */
  readonly collector: CollectorFigures;
  /**
   * While sending, from Linux's schedstat (absent elsewhere, and for a broker that is no process
   * of the bench's own: `--url`, or the embedded one in the bench's process): how much of the window the broker and the devices process's main thread ran, and how
   * much they waited, runnable, for a core. On shared cores either wait delays the messages due.
   */
  readonly scheduler: { readonly broker?: SchedulerShares; readonly devices?: SchedulerShares };
  /** The same for the busiest subscribers process, from the first send to the last delivery. */
  readonly subscribersBusy: number;
  /** CPU time of all subscribers processes per delivery, µs: what one process would need to carry them all. */
  readonly subscribersCpuPerDeliveryMicros: number;
  /** Command → response, one at a time, while the fleet publishes. */
  readonly commandRoundTrip: LatencySummary;
  /** Commands of the probe not answered within its deadline (15 s), or answered with an error. */
  readonly commandsUnanswered: number;
}

export interface FleetReport {
  readonly date: string;
  readonly machine: BenchReport['machine'];
  readonly options: Omit<FleetOptions, 'broker'> & { readonly broker: string };
  readonly subscribers: { readonly connectMs: number; readonly heapPerClient: number; readonly rssPerClient: number };
  readonly passes: readonly FleetPass[];
}

/** Connects in flight at once, for devices and subscribers alike. */
const CONNECT_CONCURRENCY = 100;

/** Idle time between the last device online and the first update, the same for both kinds. */
const SETTLE_MS = 1_000;

/** How long deliveries may stop growing before the ones still missing count as lost. */
const DRAIN_QUIET_MS = 3_000;

/**
 * N devices in one process and M subscriber connections on one broker, the devices first Amora
 * agents, then mqtt.js clients doing the same by hand (order reversed every round), with a
 * command probe running throughout. Figures come from the same run so they stand as ratios.
 */
export async function runFleet(registry: PluginRegistry, options: FleetOptions): Promise<FleetReport> {
  const broker = await startFleetBroker(options.broker);
  const subscribers = Array.from({ length: options.subscriberProcesses }, (_, i) => forkSibling<SubscribersRequest, SubscribersReply>('./fleet-subscribers.js', `subscribers process ${i}`));
  try {
    log(`${broker.description}; connecting ${options.clients} subscribers in ${subscribers.length} process(es)...`);
    const share = Math.ceil(options.clients / subscribers.length);
    subscribers.forEach((link, i) =>
      link.send({ type: 'connect', url: broker.url, first: i * share, fleetClients: options.clients, clients: Math.max(0, Math.min(share, options.clients - i * share)), devices: options.devices, concurrency: CONNECT_CONCURRENCY }),
    );
    const connected = await Promise.all(subscribers.map((link) => link.next('connected')));
    const perClient = (key: 'heapPerClient' | 'rssPerClient'): number => connected.reduce((sum, c) => sum + c[key], 0) / connected.length;
    const subscriberFigures = { connectMs: Math.max(...connected.map((c) => c.connectMs)), heapPerClient: perClient('heapPerClient'), rssPerClient: perClient('rssPerClient') };

    const passes: FleetPass[] = [];
    for (const { round, who } of alternatingRounds<FleetKind>(options.runs, ['amora', 'raw'])) {
      log(`round ${round + 1}: ${who}...`);
      passes.push(await runPass(who, passes.length + 1, registry, broker, subscribers, options));
    }
    const { broker: _broker, ...rest } = options;
    return { date: new Date().toISOString(), machine: machineInfo(), options: { ...rest, broker: broker.description }, subscribers: subscriberFigures, passes };
  } finally {
    await Promise.all(subscribers.map((link) => link.stop({ type: 'stop' })));
    await broker.stop();
  }
}

const log = (line: string): boolean => process.stderr.write(`fleet: ${line}\n`);

type Subscribers = readonly ChildLink<SubscribersRequest, SubscribersReply>[];

async function runPass(who: FleetKind, pass: number, registry: PluginRegistry, broker: BenchBroker, subscribers: Subscribers, options: FleetOptions): Promise<FleetPass> {
  const url = broker.url;
  const devices = forkSibling<DevicesRequest, DevicesReply>('./fleet-devices.js', `${who} devices process`);
  try {
    const protocolVersion = options.protocolVersion ?? 5;
    devices.send({ type: 'start', kind: who, pass, url, devices: options.devices, concurrency: CONNECT_CONCURRENCY, protocolVersion });
    const online = await devices.next('online');
    // The work that follows going online (retained messages, first publishes) is not the steady state.
    await pause(SETTLE_MS);
    const probe = await startCommandProbe(who, registry, url, { pass, devices: options.devices }, protocolVersion, options.probeResponses ?? 'fleet');
    const since = nowMs();
    const watched = watchedDevices(options.clients, options.devices);
    const wire = await watchWire(url, since, { pass, devices: watched });
    // Every subscriber counts from `since` before the first send, or early deliveries would go uncounted.
    await Promise.all(subscribers.map((link) => (link.send({ type: 'measure', pass, since }), link.next('measuring'))));
    const brokerScheduler = watchScheduler(broker.pid?.());
    const devicesScheduler = watchScheduler(devices.pid);
    devices.send({ type: 'run', rate: options.rate, durationMs: options.durationS * 1000 });
    probe.run(options.commandIntervalMs);
    const sent = await devices.next('sent', options.durationS * 1000 + 120_000);
    const scheduler = { broker: brokerScheduler.stop(), devices: devicesScheduler.stop() };
    const commands = await probe.finish();
    // Every device makes the same number of updates.
    const perDevice = sent.sent / options.devices;
    const expected = perDevice * options.clients;
    const watchedSent = perDevice * watched.length;
    await drained(subscribers, wire, { delivered: expected, published: watchedSent });
    const published = wire.published();
    await wire.stop();
    const collected = await Promise.all(subscribers.map((link) => (link.send({ type: 'collect' }), link.next('collected'))));
    const delivered = collected.reduce((sum, part) => sum + part.delivered, 0);
    const stateLatency = new LatencyRecorder();
    for (const part of collected) for (const ms of part.latenciesMs) stateLatency.record(ms);
    const sendLate = new LatencyRecorder();
    for (const ms of sent.lateMs) sendLate.record(ms);
    return {
      who,
      onlineMs: online.onlineMs,
      heapPerDevice: online.heapPerDevice,
      rssPerDevice: online.rssPerDevice,
      sent: sent.sent,
      published,
      watchedDevices: watched.length,
      watchedSent,
      expected,
      delivered,
      stateLatency: stateLatency.summary(),
      sendLate: sendLate.summary(),
      cpuPerUpdateMicros: sent.cpuMicros / sent.sent,
      cpuPerMessageMicros: sent.cpuMicros / ((sent.sent * published) / watchedSent),
      devicesBusy: sent.cpuMicros / 1000 / sent.elapsedMs,
      collector: sent.collector,
      scheduler,
      subscribersBusy: Math.max(...collected.map((part) => part.busy)),
      subscribersCpuPerDeliveryMicros: collected.reduce((sum, part) => sum + part.cpuMicros, 0) / Math.max(1, delivered),
      commandRoundTrip: commands.roundTrip,
      commandsUnanswered: commands.unanswered,
    };
  } finally {
    await devices.stop({ type: 'stop' });
  }
}

/**
 * Waits until the subscribers got every expected delivery and the wire watcher every update, or
 * neither count grew for a while (the rest were merged or lost).
 */
async function drained(subscribers: Subscribers, wire: { published(): number }, expected: { delivered: number; published: number }): Promise<void> {
  let last = '';
  let lastChange = nowMs();
  for (;;) {
    const counts = await Promise.all(subscribers.map((link) => (link.send({ type: 'count' }), link.next('count'))));
    const delivered = counts.reduce((sum, c) => sum + c.delivered, 0);
    const published = wire.published();
    if (delivered >= expected.delivered && published >= expected.published) return;
    const now = `${delivered}/${published}`;
    if (now !== last) {
      last = now;
      lastChange = nowMs();
    } else if (nowMs() - lastChange > DRAIN_QUIET_MS) return;
    await pause(100);
  }
}

/** The broker the fleet runs on: one the bench starts (as `bench` does), or the one at a given URL. */
async function startFleetBroker(choice: FleetOptions['broker']): Promise<BenchBroker> {
  if (typeof choice === 'object') return { name: 'url', url: choice.url, description: `the broker at ${choice.url} (not started by the bench)`, stop: async () => {} };
  // No persistence: a fleet bench measures delivery, not what survives a restart.
  const broker = await startBenchBroker(choice, { persistence: false });
  if (typeof broker === 'string') throw new Error(`${broker}, or run with --broker embedded`);
  return broker;
}
