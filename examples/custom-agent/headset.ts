import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { CommandError, systemClock, type Clock } from '../../core/index.js';

export const ANC_MODES = ['off', 'on', 'transparency'] as const;
export type AncMode = (typeof ANC_MODES)[number];

/** Active noise cancellation strength, 0-10. */
export const ANC_LEVEL_MAX = 10;

/** What the headset knows about itself. */
export interface HeadsetState {
  readonly anc: { readonly mode: AncMode; readonly level: number };
  readonly battery: { readonly level: number; readonly charging: boolean };
}

/** Things that happen on the headset and must reach someone at once. */
export type HeadsetEvent = { readonly type: 'sos' } | { readonly type: 'battery_critical'; readonly level: number };

export interface AncHeadsetOptions {
  /** Drives the battery; tests pass a manual clock. Default: the system clock. */
  readonly clock?: Clock;
  /** One battery step (discharge, or charge when plugged in) per interval, ms. Default 30 000. */
  readonly batteryStepMs?: number;
  readonly initial?: HeadsetState;
}

/** At or below this battery level the headset raises `battery_critical` (once per discharge). */
export const BATTERY_CRITICAL = 5;

/**
 * A simulated ANC headset: what real firmware bindings (BLE GATT, a serial protocol) would give
 * the agent. ANC costs battery (2 % per step instead of 1 %); charging adds 5 % per step.
 * Nothing runs before start().
 */
export class AncHeadset {
  private readonly clock: Clock;
  private readonly batteryStepMs: number;
  private readonly stateSubject: BehaviorSubject<HeadsetState>;
  private readonly eventSubject = new Subject<HeadsetEvent>();
  private timer: { cancel(): void } | undefined;
  private criticalRaised = false;

  /** Current state; replays the latest to new subscribers. */
  readonly state$: Observable<HeadsetState>;
  /** SOS presses and critical battery. */
  readonly events$: Observable<HeadsetEvent> = this.eventSubject.asObservable();

  constructor(options: AncHeadsetOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.batteryStepMs = options.batteryStepMs ?? 30_000;
    this.stateSubject = new BehaviorSubject<HeadsetState>(
      options.initial ?? { anc: { mode: 'off', level: 5 }, battery: { level: 100, charging: false } },
    );
    this.state$ = this.stateSubject.asObservable();
  }

  get state(): HeadsetState {
    return this.stateSubject.value;
  }

  /** Starts the battery simulation. */
  start(): void {
    if (this.timer) return;
    const step = (): void => {
      this.stepBattery();
      this.timer = this.clock.setTimeout(step, this.batteryStepMs);
    };
    this.timer = this.clock.setTimeout(step, this.batteryStepMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  setAncMode(mode: AncMode): void {
    this.update({ anc: { ...this.state.anc, mode } });
  }

  /** @throws CommandError `conflict` while ANC is off: there is nothing to make stronger. */
  setAncLevel(level: number): void {
    if (this.state.anc.mode === 'off') {
      throw new CommandError('conflict', 'ANC is off; turn it on (setAncMode) before setting its level', { details: { mode: 'off' } });
    }
    this.update({ anc: { ...this.state.anc, level } });
  }

  setCharging(charging: boolean): void {
    this.update({ battery: { ...this.state.battery, charging } });
  }

  /** The wearer pressed the SOS button. */
  pressSos(): void {
    this.eventSubject.next({ type: 'sos' });
  }

  private stepBattery(): void {
    const { battery, anc } = this.state;
    const change = battery.charging ? 5 : anc.mode === 'off' ? -1 : -2;
    const level = Math.min(100, Math.max(0, battery.level + change));
    this.update({ battery: { ...battery, level } });
    if (level > BATTERY_CRITICAL) this.criticalRaised = false;
    else if (!battery.charging && !this.criticalRaised) {
      this.criticalRaised = true;
      this.eventSubject.next({ type: 'battery_critical', level });
    }
  }

  private update(change: Partial<HeadsetState>): void {
    this.stateSubject.next({ ...this.state, ...change });
  }
}
