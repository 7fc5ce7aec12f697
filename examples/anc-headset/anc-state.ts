import { BehaviorSubject, type Observable } from 'rxjs';
import { CommandError, type JsonObject, type JsonValue } from '../../core/index.js';

/** The noise-cancellation algorithms a headset can run (the document's example uses `nlms`). */
export const ANC_ALGORITHMS = ['nlms', 'lms', 'fxlms', 'rls'] as const;
export type AncAlgorithm = (typeof ANC_ALGORITHMS)[number];

/** What `update_anc_state` changes: any of enabled, intensity (0-1) and algorithm. */
export interface AncUpdate {
  readonly enabled?: boolean;
  readonly intensity?: number;
  readonly algorithm?: AncAlgorithm;
}

/** What the headset knows about itself: the document's shadow `reported` fields, less the agent's own. */
export interface AncState {
  readonly anc_enabled: boolean;
  /** 0-1. */
  readonly anc_intensity: number;
  readonly anc_algorithm: AncAlgorithm;
  /** 0-100, from the last system metrics. */
  readonly battery_level: number | null;
  /** From the last audio classification. */
  readonly noise_type: string | null;
  readonly confidence: number | null;
  readonly emergency_detected: boolean;
}

export const INITIAL_ANC_STATE: AncState = {
  anc_enabled: false,
  anc_intensity: 0.5,
  anc_algorithm: 'nlms',
  battery_level: null,
  noise_type: null,
  confidence: null,
  emergency_detected: false,
};

/**
 * The headset's state, held where firmware bindings (a DSP over a serial link, BLE) and the
 * orchestrator both update it. `state$` replays the latest to each new subscriber.
 */
export class AncStateStore {
  private readonly subject: BehaviorSubject<AncState>;
  readonly state$: Observable<AncState>;

  constructor(initial: AncState = INITIAL_ANC_STATE) {
    this.subject = new BehaviorSubject(initial);
    this.state$ = this.subject.asObservable();
  }

  get state(): AncState {
    return this.subject.value;
  }

  /** @throws CommandError `invalid_params` naming the field, before anything changes. */
  updateAnc(update: AncUpdate): AncState {
    if (update.intensity !== undefined && !(update.intensity >= 0 && update.intensity <= 1)) {
      throw new CommandError('invalid_params', 'intensity must be between 0 and 1', { details: { field: 'intensity' } });
    }
    if (update.algorithm !== undefined && !ANC_ALGORITHMS.includes(update.algorithm)) {
      throw new CommandError('invalid_params', `algorithm must be one of ${ANC_ALGORITHMS.join(', ')}`, { details: { field: 'algorithm' } });
    }
    return this.patch({
      ...(update.enabled === undefined ? {} : { anc_enabled: update.enabled }),
      ...(update.intensity === undefined ? {} : { anc_intensity: update.intensity }),
      ...(update.algorithm === undefined ? {} : { anc_algorithm: update.algorithm }),
    });
  }

  /** Takes what the reported state mirrors from metrics (battery, noise class), ignoring the rest. */
  noteMetrics(audio: JsonObject | undefined, system: JsonObject | undefined): void {
    const change: { -readonly [K in keyof AncState]?: AncState[K] } = {};
    if (typeof system?.['battery_level'] === 'number') change.battery_level = system['battery_level'];
    if (typeof audio?.['noise_type'] === 'string') change.noise_type = audio['noise_type'];
    if (typeof audio?.['confidence'] === 'number') change.confidence = audio['confidence'];
    if (Object.keys(change).length > 0) this.patch(change);
  }

  setEmergency(detected: boolean): void {
    if (detected !== this.state.emergency_detected) this.patch({ emergency_detected: detected });
  }

  private patch(change: Partial<AncState>): AncState {
    this.subject.next({ ...this.state, ...change });
    return this.state;
  }
}

/** The state as JSON for the shadow. */
export function ancStateToJson(state: AncState): { [key: string]: JsonValue } {
  return { ...state };
}
