import { Subscription } from 'rxjs';
import type { MqttControllerTransport } from '../../adapters/mqtt/index.js';
import type { DeviceStateMessage, JsonObject, PresenceState } from '../../core/index.js';

/** One line of the fleet table. */
export interface FleetRow {
  readonly deviceId: string;
  readonly presence: PresenceState;
  readonly playback?: string;
  readonly volume?: number;
  readonly track?: string | null;
  readonly version?: string;
  /** Epoch ms of the last state or presence message. */
  readonly lastSeen?: number;
  readonly state?: DeviceStateMessage;
}

/** A point of a device's history: a state change, or a command and how long its answer took. */
export interface HistoryPoint {
  readonly at: number;
  readonly kind: 'state' | 'command';
  /** Command round trip, ms (commands only). */
  readonly latencyMs?: number;
  readonly label: string;
  readonly ok?: boolean;
}

const HISTORY_LIMIT = 300;

/**
 * The fleet as the page shows it, fed by two wildcard subscriptions (every device's state and
 * presence). Messages update the rows at once; listeners are told at most once per animation
 * frame, so a burst from a thousand devices costs one render.
 */
export class FleetStore {
  private readonly rows = new Map<string, FleetRow>();
  private readonly histories = new Map<string, HistoryPoint[]>();
  private readonly listeners = new Set<() => void>();
  private readonly subscription = new Subscription();
  private sorted: FleetRow[] = [];
  /** Where each device sits in `sorted`, so an update replaces its row without a search. */
  private positions = new Map<string, number>();
  private dirty = false;
  private scheduled = false;
  /** Bumped on every change; components compare it to know whether to re-render. */
  revision = 0;

  constructor(private readonly controller: MqttControllerTransport) {}

  start(): void {
    this.subscription.add(this.controller.fleetStates$().subscribe((message) => this.onState(message)));
    this.subscription.add(
      this.controller.devices$().subscribe((devices) => {
        for (const { deviceId, presence } of devices) {
          const row = this.rows.get(deviceId);
          if (row?.presence === presence) continue;
          this.put({ ...(row ?? { deviceId }), deviceId, presence, lastSeen: Date.now() });
        }
      }),
    );
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  /** The rows sorted by device id (recomputed only when a device was added). */
  list(): readonly FleetRow[] {
    if (this.dirty) {
      this.sorted = [...this.rows.values()].toSorted((a, b) => a.deviceId.localeCompare(b.deviceId, undefined, { numeric: true }));
      this.positions = new Map(this.sorted.map((row, index) => [row.deviceId, index]));
      this.dirty = false;
    }
    return this.sorted;
  }

  row(deviceId: string): FleetRow | undefined {
    return this.rows.get(deviceId);
  }

  history(deviceId: string): readonly HistoryPoint[] {
    return this.histories.get(deviceId) ?? [];
  }

  /** Records a command's answer and round trip on the device's chart. */
  recordCommand(deviceId: string, command: string, latencyMs: number, ok: boolean): void {
    this.addHistory(deviceId, { at: Date.now(), kind: 'command', latencyMs, label: command, ok });
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onState(message: DeviceStateMessage): void {
    const state = message.state;
    const playback = state['playback'] as JsonObject | undefined;
    const audio = state['audio'] as JsonObject | undefined;
    const system = state['system'] as JsonObject | undefined;
    const previous = this.rows.get(message.device_id);
    this.put({
      deviceId: message.device_id,
      presence: previous?.presence ?? 'unknown',
      playback: typeof playback?.['status'] === 'string' ? playback['status'] : undefined,
      volume: typeof audio?.['volume'] === 'number' ? audio['volume'] : undefined,
      track: typeof playback?.['current_track'] === 'string' ? playback['current_track'] : null,
      version: typeof system?.['version'] === 'string' ? system['version'] : undefined,
      lastSeen: message.timestamp,
      state: message,
    });
    this.addHistory(message.device_id, { at: message.timestamp, kind: 'state', label: `v${message.version}` });
  }

  private put(row: FleetRow): void {
    if (!this.rows.has(row.deviceId)) this.dirty = true;
    this.rows.set(row.deviceId, row);
    const index = this.positions.get(row.deviceId);
    if (!this.dirty && index !== undefined) this.sorted[index] = row;
    this.changed();
  }

  private addHistory(deviceId: string, point: HistoryPoint): void {
    const history = this.histories.get(deviceId) ?? [];
    history.push(point);
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    this.histories.set(deviceId, history);
  }

  private changed(): void {
    this.revision++;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const listener of this.listeners) listener();
    });
  }
}
