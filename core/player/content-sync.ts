import type { Observable } from 'rxjs';
import type { Lifecycle } from '../agent/lifecycle.js';
import type { JsonObject } from '../state/json.js';

/**
 * Content sync as a player-profile feature: the transport-neutral part (command, state shape).
 * The engine that downloads files is Node-only and lives outside core (`content/`).
 */

/** Where a sync stands; `running` while files move, the others after the last one ended. */
export type ContentSyncStatus = 'idle' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * Reported as `content.sync`, so an app can draw a progress bar and show the last outcome.
 * Published as merge patches, so a null member is absent from reported state.
 */
export interface ContentSyncState {
  readonly status: ContentSyncStatus;
  readonly files_done: number;
  readonly files_total: number;
  readonly bytes_done: number;
  readonly bytes_total: number;
  /** Epoch ms of the start of the last (or current) sync; null before the first. */
  readonly started: number | null;
  /** Epoch ms of its end; null while running or before the first. */
  readonly finished: number | null;
  /** Why the last sync failed; null after a success. */
  readonly last_error: { readonly code: string; readonly message: string } | null;
}

/** What a finished sync did, the `syncContent` answer. */
export interface ContentSyncSummary extends JsonObject {
  readonly files_total: number;
  /** Files downloaded (new or changed, or all with force). */
  readonly downloaded: number;
  /** Files removed because the source no longer has them. */
  readonly deleted: number;
  readonly bytes: number;
  /** The stored playlists the player lists afterwards. */
  readonly playlists: string[];
}

/** Desired `content` settings the feature applies (`setContentSync`, from desired state). */
export interface ContentSyncSettings {
  readonly sync_enabled?: boolean;
  /** Non-secret overrides of the configured source: container, bucket, prefix, url. */
  readonly source?: JsonObject;
}

/** Runs syncs; a Lifecycle so that its schedule starts and stops with the agent. */
export interface ContentSyncFeature extends Lifecycle {
  /** Patches of the `content` section of reported state (`sync`, `sync_enabled`, `source`). */
  readonly state$: Observable<JsonObject>;
  /**
   * Runs one sync and resolves once the player sees the result. Rejects with CommandError
   * `busy` while another sync runs, and with the abort reason when `signal` aborts.
   */
  sync(options: { readonly force: boolean }, signal: AbortSignal): Promise<ContentSyncSummary>;
  /** Applies desired settings: starts or stops the schedule, syncs when the source changed. */
  configure(settings: ContentSyncSettings): Promise<void>;
  /** Cancels a running sync (the agent is stopping); what was complete stays. */
  cancel(): void;
}
