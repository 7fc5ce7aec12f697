import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Subscription, type Observable } from 'rxjs';
import type { AgentActivity, AgentHealth, ConnectionState, ConnectionStatus } from '../../core/index.js';
import type { Readiness } from './metrics-server.js';

/** What the metrics are fed from: the agent's own streams, nothing it does not already expose. */
export interface MetricsSource {
  readonly deviceId: string;
  readonly health$: Observable<AgentHealth>;
  readonly activity$: Observable<AgentActivity>;
}

export interface AgentMetricsOptions {
  /** Instance ids of the configured transports (`mqtt`, `mqtt#2`, ...); every other health entry is a component (the player). */
  readonly transportIds: readonly string[];
  readonly version: string;
}

const STATES: readonly ConnectionState[] = ['connecting', 'online', 'offline', 'closed'];
/** Seconds; commands and publishes on a LAN take milliseconds, a cloud round trip up to seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The agent's Prometheus metrics (names in docs/operations.md), kept in their own registry and
 * updated from `health$` and `activity$` as they emit, so a scrape only serialises. Also answers
 * the readiness probe: ready when every transport is online.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly subscriptions = new Subscription();
  private health: AgentHealth = { components: {} };
  private readonly lastState = new Map<string, ConnectionState>();
  private readonly lastDropped = new Map<string, number>();
  /** Transports that have been online at least once: only their returns count as reconnects. */
  private readonly wasOnline = new Set<string>();

  private readonly transportState = new Gauge({ name: 'amora_transport_state', help: 'Connection state per transport: 1 for the current state, 0 for the others', labelNames: ['transport', 'state'], registers: [this.registry] });
  private readonly transportUp = new Gauge({ name: 'amora_transport_up', help: '1 while the transport is online', labelNames: ['transport'], registers: [this.registry] });
  private readonly reconnects = new Counter({ name: 'amora_transport_reconnects_total', help: 'Times a transport came back online after losing its connection', labelNames: ['transport'], registers: [this.registry] });
  private readonly messagesOut = new Counter({ name: 'amora_messages_out_total', help: 'Messages handed to a transport, by class (state, response, telemetry)', labelNames: ['transport', 'class'], registers: [this.registry] });
  private readonly messagesIn = new Counter({ name: 'amora_messages_in_total', help: 'Messages received from a transport, by class (command, desired)', labelNames: ['transport', 'class'], registers: [this.registry] });
  private readonly publishFailures = new Counter({ name: 'amora_publish_failures_total', help: 'Publishes a transport refused or lost, by class (state, telemetry)', labelNames: ['transport', 'class'], registers: [this.registry] });
  private readonly outboxQueued = new Gauge({ name: 'amora_outbox_queued', help: 'Messages waiting in the offline outbox of a transport', labelNames: ['transport'], registers: [this.registry] });
  private readonly outboxDropped = new Counter({ name: 'amora_outbox_dropped_total', help: 'Messages an outbox dropped on overflow', labelNames: ['transport'], registers: [this.registry] });
  private readonly commands = new Counter({ name: 'amora_commands_total', help: 'Commands answered, by command and answer code (ok or the error code)', labelNames: ['command', 'code'], registers: [this.registry] });
  private readonly commandSeconds = new Histogram({ name: 'amora_command_duration_seconds', help: 'From receipt of a command to its answer, by command and code', labelNames: ['command', 'code'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly publishSeconds = new Histogram({ name: 'amora_state_publish_duration_seconds', help: 'Time a transport took to accept a reported state publish', labelNames: ['transport'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly componentUp = new Gauge({ name: 'amora_component_up', help: '1 while a component (the player) is available', labelNames: ['component'], registers: [this.registry] });
  private readonly ready = new Gauge({ name: 'amora_agent_ready', help: '1 while every transport is online (what /readyz answers)', registers: [this.registry] });

  constructor(
    private readonly source: MetricsSource,
    private readonly options: AgentMetricsOptions,
  ) {
    this.registry.setDefaultLabels({ device: source.deviceId });
    new Gauge({ name: 'amora_agent_info', help: 'Always 1; the labels name the agent version', labelNames: ['version'], registers: [this.registry] }).set({ version: options.version }, 1);
    for (const id of options.transportIds) this.showTransport(id, { state: 'connecting', since: 0 });
  }

  /** Starts following the agent; call before `agent.start()` so nothing is missed. */
  start(): void {
    collectDefaultMetrics({ register: this.registry });
    this.subscriptions.add(this.source.health$.subscribe((health) => this.onHealth(health)));
    this.subscriptions.add(this.source.activity$.subscribe((activity) => this.onActivity(activity)));
  }

  stop(): void {
    this.subscriptions.unsubscribe();
  }

  /** Ready when every configured transport is online; the body says which are not. */
  readiness(): Readiness {
    const transports = Object.fromEntries(this.options.transportIds.map((id) => [id, this.health.components[id]?.state ?? 'connecting']));
    const components = Object.fromEntries(Object.entries(this.health.components).filter(([id]) => !this.options.transportIds.includes(id)).map(([id, s]) => [id, s.state]));
    return { ready: Object.values(transports).every((state) => state === 'online'), details: { transports, components } };
  }

  private onHealth(health: AgentHealth): void {
    this.health = health;
    for (const [id, status] of Object.entries(health.components)) {
      if (this.options.transportIds.includes(id)) this.showTransport(id, status);
      else this.componentUp.set({ component: id }, status.state === 'online' ? 1 : 0);
    }
    this.ready.set(this.readiness().ready ? 1 : 0);
  }

  private showTransport(id: string, status: ConnectionStatus): void {
    const previous = this.lastState.get(id);
    // A return to online after being online and losing it; the first connection is not a reconnect.
    if (status.state === 'online' && previous !== undefined && previous !== 'online' && this.wasOnline.has(id)) this.reconnects.inc({ transport: id });
    if (status.state === 'online') this.wasOnline.add(id);
    this.lastState.set(id, status.state);
    for (const state of STATES) this.transportState.set({ transport: id, state }, state === status.state ? 1 : 0);
    this.transportUp.set({ transport: id }, status.state === 'online' ? 1 : 0);
    this.reconnects.inc({ transport: id }, 0);
    this.outboxQueued.set({ transport: id }, status.outbox?.queued ?? 0);
    // The status carries a running total; a transport restarted from zero counts on from there.
    const dropped = status.outbox?.dropped ?? 0;
    const before = this.lastDropped.get(id) ?? 0;
    this.outboxDropped.inc({ transport: id }, dropped >= before ? dropped - before : dropped);
    this.lastDropped.set(id, dropped);
  }

  private onActivity(activity: AgentActivity): void {
    switch (activity.type) {
      case 'command': {
        // A name the device does not know is the sender's text: counted as `other`, so a flood of
        // junk commands cannot grow the label set without bound.
        const known = activity.code !== 'unknown_command' && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(activity.command);
        const labels = { command: known ? activity.command : 'other', code: activity.code };
        this.commands.inc(labels);
        this.commandSeconds.observe(labels, activity.durationMs / 1000);
        this.messagesIn.inc({ transport: activity.transport, class: 'command' });
        this.messagesOut.inc({ transport: activity.transport, class: 'response' });
        return;
      }
      case 'state':
        if (activity.ok) {
          this.messagesOut.inc({ transport: activity.transport, class: 'state' });
          this.publishSeconds.observe({ transport: activity.transport }, activity.durationMs / 1000);
        } else this.publishFailures.inc({ transport: activity.transport, class: 'state' });
        return;
      case 'desired':
        this.messagesIn.inc({ transport: activity.transport, class: 'desired' });
        return;
      case 'telemetry':
        if (activity.ok) this.messagesOut.inc({ transport: activity.transport, class: 'telemetry' });
        else this.publishFailures.inc({ transport: activity.transport, class: 'telemetry' });
        return;
    }
  }
}
