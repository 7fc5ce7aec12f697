import { isJsonObject, systemClock, type Clock, type JsonObject, type PresenceState } from '../../core/index.js';
import { deepEqual } from '../../core/internal.js';

export type Side = 'source' | 'target';

/** What one side (cloud) shows of a device. */
export interface SideStatus {
  readonly presence: PresenceState;
  /** When this side last saw a new reported state (epoch ms). */
  readonly lastStateAt?: number;
  /**
   * When the device last answered a command that came in over this side (epoch ms), from the
   * `system.last_command` times the agent reports (refreshed with `system.uptime`).
   */
  readonly lastCommandAt?: number;
}

export interface DeviceMoveStatus {
  readonly id: string;
  readonly source: SideStatus;
  readonly target: SideStatus;
  /** Reported state is the same on both sides (volatile members aside), or the source is offline. */
  readonly inSync: boolean;
  /** Since when the target has been online and in sync without a break (epoch ms). */
  readonly settledSince?: number;
  /** Online and in sync on the target for the whole settle time (stays true once reached). */
  readonly moved: boolean;
}

interface SideView {
  presence: PresenceState;
  state?: JsonObject;
  lastStateAt?: number;
}

interface DeviceView {
  source: SideView;
  target: SideView;
  settledSince?: number;
  moved: boolean;
}

/**
 * Decides per device whether it has moved: the target must see it online with the same reported
 * state as the source (or the source offline, after the cutover) for `settleMs` without a break.
 * Fed by the two controllers' presence and state streams; pure apart from the clock.
 */
export class MoveTracker {
  private readonly devices = new Map<string, DeviceView>();

  /**
   * `transports` are the agent's transport ids of each side (`azure-iot-hub`, `aws-iot`), the
   * keys of the device's `system.last_command`.
   */
  constructor(
    private readonly settleMs: number,
    private readonly transports: Readonly<Record<Side, string>>,
    private readonly clock: Clock = systemClock,
  ) {}

  track(id: string): void {
    if (!this.devices.has(id)) this.devices.set(id, { source: { presence: 'unknown' }, target: { presence: 'unknown' }, moved: false });
  }

  presence(id: string, side: Side, presence: PresenceState): void {
    this.view(id)[side].presence = presence;
    this.evaluate(id);
  }

  state(id: string, side: Side, state: JsonObject, at: number = this.clock.now()): void {
    const view = this.view(id)[side];
    view.state = state;
    view.lastStateAt = at;
    this.evaluate(id);
  }

  /** Re-checks every device against the clock (the settle time passes without any event). */
  tick(): void {
    for (const id of this.devices.keys()) this.evaluate(id);
  }

  statuses(): DeviceMoveStatus[] {
    return [...this.devices.entries()]
      .toSorted(([a], [b]) => a.localeCompare(b))
      .map(([id, view]) => ({
        id,
        source: sideStatus(view.source, lastCommand(view, this.transports.source)),
        target: sideStatus(view.target, lastCommand(view, this.transports.target)),
        inSync: inSync(view),
        ...(view.settledSince !== undefined ? { settledSince: view.settledSince } : {}),
        moved: view.moved,
      }));
  }

  allMoved(): boolean {
    return this.devices.size > 0 && [...this.devices.values()].every((view) => view.moved);
  }

  private view(id: string): DeviceView {
    this.track(id);
    return this.devices.get(id)!;
  }

  private evaluate(id: string): void {
    const view = this.view(id);
    const now = this.clock.now();
    if (view.target.presence === 'online' && inSync(view)) {
      view.settledSince ??= now;
      if (now - view.settledSince >= this.settleMs) view.moved = true;
    } else {
      delete view.settledSince;
    }
  }
}

function sideStatus(view: SideView, lastCommandAt: number | undefined): SideStatus {
  return {
    presence: view.presence,
    ...(view.lastStateAt !== undefined ? { lastStateAt: view.lastStateAt } : {}),
    ...(lastCommandAt !== undefined ? { lastCommandAt } : {}),
  };
}

function inSync(view: DeviceView): boolean {
  if (view.target.state === undefined) return false;
  if (view.source.presence !== 'online') return true;
  return view.source.state !== undefined && deepEqual(comparable(view.source.state), comparable(view.target.state));
}

/**
 * Reported state without what legitimately differs between the two sides at a given moment: the
 * `system` section (uptime ticks, per-transport command times).
 */
function comparable(state: JsonObject): JsonObject {
  const { system: _system, ...rest } = state;
  return rest;
}

/** The device's own note of its last command over `transport`, from the newer state of the two sides. */
function lastCommand(view: DeviceView, transport: string): number | undefined {
  const times = [view.source, view.target].map((side) => {
    const system = side.state?.['system'];
    const commands = isJsonObject(system) ? system['last_command'] : undefined;
    const at = isJsonObject(commands) ? commands[transport] : undefined;
    return typeof at === 'number' ? at : undefined;
  });
  const known = times.filter((at): at is number => at !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
