import { Observable, Subject, Subscription } from 'rxjs';
import { z } from 'zod';
import type { DeviceProfile, ReconcileStep } from '../agent/device-profile.js';
import { strictParams } from '../agent/strict-params.js';
import { systemClock, type Clock } from '../clock.js';
import { defineCommand, type CommandSpec } from '../commands/types.js';
import { CommandError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../state/json.js';
import type { ContentSyncFeature } from './content-sync.js';
import type { PlayerAdapter } from './player-adapter.js';
import { playerAvailability } from './player-availability.js';
import { createPlayerCommands, playerStateToJson, type PlayerFeatures } from './player-commands.js';
import { reconcilePlayer } from './player-reconciler.js';
import type { PlayerState, PlayerStatus } from './player-state.js';

/** The name of the player device profile (`device.profile` in the config). */
export const PLAYER_PROFILE = 'player';

/** The player profile's settings (the config's `audio` section; AmoraOS `audio`). */
export interface PlayerProfileSettings {
  readonly audio?: {
    /** Set once when the agent starts. */
    readonly volume?: number;
    /** The output selected once when the agent starts (setAudioDevice). */
    readonly device?: string;
    /** Reported as `audio.backend` instead of what the player knows (e.g. pipewire under MPD). */
    readonly backend?: string;
  };
  /** Stamps `lastUpdated`. */
  readonly clock?: Clock;
  /** Content sync and reboot, when the device has them (PlayerFeatures). */
  readonly features?: PlayerFeatures;
}

/** Profile-own reported members: content settings the cloud sets (`content.sync_enabled`). */
interface ContentSettings {
  readonly sync_enabled?: boolean;
}

/**
 * The music-player device profile: its commands bound to `player`, its reported state from the
 * player's state stream, `player` (is it reachable, see playerAvailability) from its status, its
 * reconciler, its startup steps and its status message. Reported state carries both seeds'
 * shapes: the IoT guide's `audio`, `playback`, `playlists` (the agent adds `system`) and the Azure
 * guide's `status` (a PlayerStatus) and `lastUpdated`.
 */
export function createPlayerProfile(player: PlayerAdapter, settings: PlayerProfileSettings = {}): DeviceProfile {
  const content = new ContentSettingsHolder();
  const features = settings.features ?? {};
  const sync = features.content;
  return {
    name: PLAYER_PROFILE,
    commands: [...createPlayerCommands(player, features), contentSyncCommand(content, sync)],
    state$: reportedState(player, content, settings),
    reconcile: reconcilePlayer,
    ...(sync ? { beforeStop: () => sync.cancel() } : {}),
    startup: startupSteps(settings),
    status: statusOf,
  };
}

/** The content settings kept by the profile, and a signal when they change. */
class ContentSettingsHolder {
  value: ContentSettings = {};
  readonly changed = new Subject<void>();

  set(value: ContentSettings): void {
    this.value = value;
    this.changed.next();
  }
}

/**
 * The profile's reported-state patches: the player's state with the content settings (on every
 * state and every settings change, once a state exists), the `player` section on every change of
 * availability, and content sync's patches. One plain subscription per source rather than a
 * combineLatest/merge/operator chain: every agent of a fleet keeps these for its whole life, and
 * the chain's subscribers cost 6.6 KiB of heap per agent more (docs/benchmarks.md). Errors of any source end the
 * stream, as a merge's would.
 */
function reportedState(player: PlayerAdapter, content: ContentSettingsHolder, settings: PlayerProfileSettings): Observable<JsonObject> {
  return new Observable<JsonObject>((subscriber) => {
    const clock = settings.clock ?? systemClock;
    const backend = settings.audio?.backend;
    const sync = settings.features?.content;
    const fail = (error: unknown): void => subscriber.error(error);
    let state: PlayerState | undefined;
    const report = (): void => {
      if (state !== undefined) subscriber.next(reportedPlayerState(state, content.value, backend, clock.now()));
    };
    const subscriptions = new Subscription();
    subscriptions.add(
      player.state$.subscribe({
        next: (next) => {
          state = next;
          report();
        },
        error: fail,
      }),
    );
    subscriptions.add(content.changed.subscribe(report));
    const availability = playerAvailability();
    subscriptions.add(
      player.status$.subscribe({
        next: (status) => {
          const patch = availability(status);
          if (patch) subscriber.next(patch);
        },
        error: fail,
      }),
    );
    if (sync) subscriptions.add(sync.state$.subscribe({ next: (patch) => subscriber.next(patch), error: fail }));
    return subscriptions;
  });
}

/** Reported state of one player state: the AmoraOS sections, `content`, `status` and `lastUpdated`. */
function reportedPlayerState(state: PlayerState, own: ContentSettings, backend: string | undefined, now: number): JsonObject {
  const json = playerStateToJson(state);
  return {
    ...json,
    ...(backend === undefined ? {} : { audio: { ...(json['audio'] as JsonObject), backend } }),
    ...(Object.keys(own).length === 0 ? {} : { content: { ...own } }),
    status: { ...playerStatus(state) },
    lastUpdated: isoSeconds(now),
  };
}

/** The Azure guide's PlayerStatus of a player state. */
export function playerStatus(state: PlayerState): PlayerStatus {
  return {
    state: state.playback.status,
    volume: state.audio.volume,
    current_song: state.playback.current_track,
    playlist: state.playback.playlist,
  };
}

/**
 * The PlayerStatus in reported state, whole: reported state cannot hold nulls (a merge patch's
 * null deletes), so the members it lacks are null again here.
 */
function statusOf(reported: JsonObject): JsonValue {
  const status = isJsonObject(reported['status']) ? reported['status'] : {};
  return {
    state: status['state'] ?? 'unknown',
    volume: status['volume'] ?? 0,
    current_song: status['current_song'] ?? null,
    playlist: status['playlist'] ?? null,
  };
}

function startupSteps(settings: PlayerProfileSettings): readonly ReconcileStep[] {
  const steps: ReconcileStep[] = [];
  const { volume, device } = settings.audio ?? {};
  if (device !== undefined) steps.push({ command: 'setAudioDevice', params: { device } });
  if (volume !== undefined) steps.push({ command: 'setVolume', params: { volume } });
  return steps;
}

// Built once per process, not per agent.
const contentSyncParams = strictParams({ enabled: z.boolean().optional(), source: z.record(z.string(), z.string()).optional() });

/**
 * Desired `content.sync_enabled` (and `content.source`), accepted and reported as
 * `content.sync_enabled`. With content sync configured it switches the schedule and moves the
 * source (ContentSyncFeature.configure, which reports both); without, the flag is only kept.
 */
function contentSyncCommand(content: ContentSettingsHolder, sync: ContentSyncFeature | undefined): CommandSpec {
  return defineCommand({
    name: 'setContentSync',
    description: 'Switch content synchronisation on or off and move its source (reported as content.sync_enabled, content.source).',
    params: contentSyncParams,
    handler: async ({ enabled, source }) => {
      if (sync) {
        await sync.configure({ ...(enabled === undefined ? {} : { sync_enabled: enabled }), ...(source === undefined ? {} : { source }) });
        return;
      }
      if (source !== undefined) throw new CommandError('unsupported', 'content sync is not configured on this device (config `content.source`)');
      if (enabled !== undefined && content.value.sync_enabled !== enabled) content.set({ ...content.value, sync_enabled: enabled });
    },
  });
}

/** ISO 8601 UTC to the second, as the Azure guide writes `lastUpdated` and `timestamp`. */
function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
