import { map } from 'rxjs';
import { z } from 'zod';
import { defineCommand, isJsonObject, strictParams, type DeviceProfile, type JsonObject, type ReconcileStep } from '../../core/index.js';
import { ANC_LEVEL_MAX, ANC_MODES, type AncHeadset, type HeadsetState } from './headset.js';

/** The profile's name: `device.profile` in the config, and the `<profile>Status` telemetry kind. */
export const HEADSET_PROFILE = 'anc-headset';

/** Reported state: `anc {mode, level}` and `battery {level, charging}` (the agent adds `system`). */
export function headsetStateToJson(state: HeadsetState): JsonObject {
  return { anc: { ...state.anc }, battery: { ...state.battery } };
}

/**
 * The ANC headset as a device profile: three commands with strict parameters, reported state from
 * the headset, and a reconciler for desired `anc`. Everything else (transports, dedupe, deadlines,
 * desired state, telemetry, presence) the agent brings, whatever the device.
 */
export function createHeadsetProfile(headset: AncHeadset): DeviceProfile {
  return {
    name: HEADSET_PROFILE,
    commands: [
      defineCommand({
        name: 'setAncMode',
        description: 'switches noise cancellation off, on, or to transparency (ambient sound let through)',
        params: strictParams({ mode: z.enum(ANC_MODES) }),
        handler: ({ mode }) => {
          headset.setAncMode(mode);
          return { mode };
        },
      }),
      defineCommand({
        name: 'setAncLevel',
        description: `sets the noise cancellation strength, 0-${ANC_LEVEL_MAX} (conflict while ANC is off)`,
        params: strictParams({ level: z.number().int().min(0).max(ANC_LEVEL_MAX) }),
        handler: ({ level }) => {
          headset.setAncLevel(level);
          return { level };
        },
      }),
      defineCommand({
        name: 'getStatus',
        description: 'answers the current ANC and battery state',
        params: strictParams({}),
        handler: () => headsetStateToJson(headset.state),
      }),
    ],
    state$: headset.state$.pipe(map(headsetStateToJson)),
    reconcile: reconcileHeadset,
  };
}

/**
 * Desired `anc.mode` → setAncMode, then desired `anc.level` → setAncLevel (after the mode, since a
 * level needs ANC on). Values of the wrong type are skipped; the command schemas check ranges.
 */
export function reconcileHeadset(delta: JsonObject): readonly ReconcileStep[] {
  const anc = delta['anc'];
  if (!isJsonObject(anc)) return [];
  const steps: ReconcileStep[] = [];
  if (typeof anc['mode'] === 'string') steps.push({ command: 'setAncMode', params: { mode: anc['mode'] } });
  if (typeof anc['level'] === 'number') steps.push({ command: 'setAncLevel', params: { level: anc['level'] } });
  return steps;
}
