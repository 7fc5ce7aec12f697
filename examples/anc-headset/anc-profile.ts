import { map, merge, type Observable } from 'rxjs';
import { z } from 'zod';
import { defineCommand, strictParams, type DeviceProfile, type JsonObject, type JsonValue, type ReconcileStep } from '../../core/index.js';
import { ANC_ALGORITHMS, ancStateToJson, type AncStateStore } from './anc-state.js';

/** The profile's name: `device.profile`, and the `<profile>Status` telemetry kind. */
export const ANC_PROFILE = 'anc-headset';

/** The shadow's desired keys a cloud application sets (the document's desired state). */
const DESIRED_KEYS = { anc_enabled: 'enabled', anc_intensity: 'intensity', anc_algorithm: 'algorithm' } as const;

/**
 * The ANC headset as a device profile: `updateAncState` and `getStatus` commands (arriving on
 * `anc/devices/{id}/commands`), the document's reported shadow fields from the store plus
 * `extra$` (status, device_id, firmware_version, uptime, timestamp, kept by the orchestrator),
 * and desired `anc_enabled` / `anc_intensity` / `anc_algorithm` applied through `updateAncState`.
 */
export function createAncProfile(store: AncStateStore, extra$: Observable<JsonObject>): DeviceProfile {
  return {
    name: ANC_PROFILE,
    commands: [
      defineCommand({
        name: 'updateAncState',
        description: 'switches noise cancellation on or off, sets its intensity (0-1) and algorithm',
        params: strictParams({
          enabled: z.boolean().optional(),
          intensity: z.number().min(0).max(1).optional(),
          algorithm: z.enum(ANC_ALGORITHMS).optional(),
        }),
        handler: (update) => {
          const state = store.updateAnc(update);
          return { anc_enabled: state.anc_enabled, anc_intensity: state.anc_intensity, anc_algorithm: state.anc_algorithm };
        },
      }),
      defineCommand({
        name: 'getStatus',
        description: 'answers the ANC state, the last metrics mirrored in the shadow and the emergency flag',
        params: strictParams({}),
        handler: () => ancStateToJson(store.state),
      }),
    ],
    state$: mergeStates(store, extra$),
    reconcile: reconcileAnc,
  };
}

/** Desired `anc_*` keys that differ from reported → one `updateAncState` with all of them. */
export function reconcileAnc(delta: JsonObject): readonly ReconcileStep[] {
  const params: Record<string, JsonValue> = {};
  for (const [key, param] of Object.entries(DESIRED_KEYS)) {
    if (delta[key] !== undefined && delta[key] !== null) params[param] = delta[key];
  }
  return Object.keys(params).length > 0 ? [{ command: 'updateAncState', params }] : [];
}

/** The store's state and the orchestrator's fields, as merge patches of the reported state. */
function mergeStates(store: AncStateStore, extra$: Observable<JsonObject>): Observable<JsonObject> {
  return merge(store.state$.pipe(map(ancStateToJson)), extra$);
}
