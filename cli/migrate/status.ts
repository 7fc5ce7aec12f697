import { Subscription, type Observable } from 'rxjs';
import {
  buildController,
  type ControllerTransport,
  type DeviceInfo,
  type LoadedConfig,
  type Logger,
} from '../../core/node.js';
import { createBuiltinRegistry } from '../builtins.js';
import { awaitOnline } from '../connect.js';
import { CliError } from '../exit-codes.js';
import { CLOUD_NAMES, type Cloud } from './fleet.js';
import { MoveTracker, type DeviceMoveStatus, type Side } from './move-tracker.js';

/** The transport kind of each cloud in an agent config. */
export const CLOUD_KINDS: Readonly<Record<Cloud, string>> = { azure: 'azure-iot-hub', aws: 'aws-iot' };

export interface StatusOptions {
  readonly config: LoadedConfig;
  readonly from: Cloud;
  readonly to: Cloud;
  readonly include: (id: string) => boolean;
  /** Devices to follow besides those either side lists (those `apply` provisioned), already filtered. */
  readonly devices: readonly string[];
  readonly settleMs: number;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Follows a fleet on both clouds through the controller side of the two transports of a
 * dual-home config: presence from each side's device list, reported state per device from each.
 * Every device listed by either side (and matching the filter) is followed.
 */
export class FleetStatus {
  readonly tracker: MoveTracker;
  private readonly controllers: Partial<Record<Side, ControllerTransport>> = {};
  private readonly subscriptions = new Subscription();
  private readonly followed = new Set<string>();
  private readonly changed: (() => void)[] = [];

  constructor(private readonly options: StatusOptions) {
    this.tracker = new MoveTracker(options.settleMs, { source: CLOUD_KINDS[options.from], target: CLOUD_KINDS[options.to] });
  }

  async start(): Promise<void> {
    const registry = createBuiltinRegistry();
    for (const side of ['source', 'target'] as const) {
      const cloud = side === 'source' ? this.options.from : this.options.to;
      const index = this.options.config.transports.findIndex((entry) => entry.kind === CLOUD_KINDS[cloud]);
      if (index < 0) throw new CliError(`--config has no ${CLOUD_KINDS[cloud]} transport for the ${side} (${CLOUD_NAMES[cloud]}); give the dual-home config`);
      const controller = await buildController(this.options.config, registry, { logger: this.options.logger, transportIndex: index });
      this.controllers[side] = controller;
      await controller.start(new AbortController().signal);
      await awaitOnline(controller.status$, `${CLOUD_NAMES[cloud]} (transport #${index})`, this.options.connectTimeoutMs);
    }
    for (const id of this.options.devices) this.follow(id);
    for (const side of ['source', 'target'] as const) {
      this.subscriptions.add(
        (this.controllers[side]!.devices$() as Observable<readonly DeviceInfo[]>).subscribe((devices) => {
          for (const device of devices) {
            if (!this.options.include(device.deviceId)) continue;
            this.follow(device.deviceId);
            this.tracker.presence(device.deviceId, side, device.presence);
          }
          this.notify();
        }),
      );
    }
  }

  /** Calls `listener` after every change (and tick). */
  onChange(listener: () => void): void {
    this.changed.push(listener);
  }

  /** Lets the settle time pass for devices with nothing new to report. */
  tick(): void {
    this.tracker.tick();
    this.notify();
  }

  statuses(): DeviceMoveStatus[] {
    return this.tracker.statuses();
  }

  async stop(): Promise<void> {
    this.subscriptions.unsubscribe();
    await Promise.all(Object.values(this.controllers).map((controller) => controller.stop()));
  }

  private follow(id: string): void {
    if (this.followed.has(id)) return;
    this.followed.add(id);
    this.tracker.track(id);
    for (const side of ['source', 'target'] as const) {
      const controller = this.controllers[side]!;
      this.subscriptions.add(
        controller.state$(id).subscribe((message) => {
          this.tracker.state(id, side, message.state, message.timestamp);
          this.notify();
        }),
      );
      // The device list may come later than a device's own presence (or not list it yet).
      this.subscriptions.add(
        controller.connection$(id).subscribe((presence) => {
          if (presence === 'unknown') return;
          this.tracker.presence(id, side, presence);
          this.notify();
        }),
      );
    }
  }

  private notify(): void {
    for (const listener of this.changed) listener();
  }
}

/** The status table as text. */
export function renderStatus(statuses: readonly DeviceMoveStatus[], from: Cloud, to: Cloud, now: number = Date.now()): string {
  const age = (at: number | undefined): string => (at === undefined ? '-' : `${Math.max(0, Math.round((now - at) / 1000))}s ago`);
  const rows = [['device', from, to, 'in sync', `last state ${from}/${to}`, `last command ${from}/${to}`, 'moved']];
  for (const status of statuses) {
    rows.push([
      status.id,
      status.source.presence,
      status.target.presence,
      status.inSync ? 'yes' : 'no',
      `${age(status.source.lastStateAt)} / ${age(status.target.lastStateAt)}`,
      `${age(status.source.lastCommandAt)} / ${age(status.target.lastCommandAt)}`,
      status.moved ? 'yes' : status.settledSince !== undefined ? `settling (${age(status.settledSince)})` : 'no',
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  const moved = statuses.filter((status) => status.moved).length;
  lines.push(`${moved}/${statuses.length} moved`);
  return `${lines.join('\n')}\n`;
}
