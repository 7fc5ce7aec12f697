import { Observable } from 'rxjs';
import { z } from 'zod';
import type { DeviceProfile, ReconcileStep } from '../agent/device-profile.js';
import { strictParams } from '../agent/strict-params.js';
import { systemClock, type Clock } from '../clock.js';
import { defineCommand, type CommandContext, type CommandSpec } from '../commands/types.js';
import { CommandError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../state/json.js';
import type { PlayerAdapter } from './player-adapter.js';
import { playerAvailability } from './player-availability.js';
import type { ConnectionStatus } from '../transport/connection-status.js';
import { playerCommands, playerStateToJson, servicesOf, type PlayerFeatures, type PlayerServices } from './player-commands.js';
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
  const services: PlayerProfileServices = { player, features, content };
  return {
    name: PLAYER_PROFILE,
    // One list for every agent of the process: the handlers find this agent's player in `services`.
    commands: playerCommands(features.syncTimeoutMs, PROFILE_COMMANDS),
    services,
    // state$ may have any number of subscribers: it reads the player's own (multicast) streams.
    // watchState is the agent's one listener: it may take the player's single watch() slot.
    state$: new Observable<JsonObject>((subscriber) => watchReported(player, content, settings, subscriber, false)),
    watchState: (listener) => watchReported(player, content, settings, listener, true),
    reconcile: reconcilePlayer,
    ...(sync ? { beforeStop: () => sync.cancel() } : {}),
    startup: startupSteps(settings),
    status: statusOf,
  };
}

/** What the profile's commands act on (DeviceProfile.services): the player's, and the content settings. */
interface PlayerProfileServices extends PlayerServices {
  readonly content: ContentSettingsHolder;
}

/**
 * The content settings kept by the profile, and who to tell when they change: the profile's state
 * watchers (plain callbacks in an array, not a Subject: every agent keeps one for its life).
 */
class ContentSettingsHolder {
  value: ContentSettings = {};
  private readonly listeners: (() => void)[] = [];

  set(value: ContentSettings): void {
    this.value = value;
    // A copy: a listener may stop watching (and so leave the list) while it is called.
    for (const listener of this.listeners.slice()) listener();
  }

  /** Calls `listener` after every set() until the returned function is called. */
  watch(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }
}

/**
 * The profile's reported-state patches, to `sink`: the player's state with the content settings (on
 * every state and every settings change, once a state exists), the `player` section on every change
 * of availability, and content sync's patches; returns what stops them. One plain subscription (or
 * the player's watch callbacks) per source rather than a combineLatest/merge/operator chain: every
 * agent of a fleet keeps these for its whole life, and the chain's subscribers cost 6.6 KiB of heap
 * per agent more (docs/benchmarks.md). Errors of any source end the stream, as a merge's would.
 * `useWatch`: take the player's watch() (one listener per player, a later call replaces it) when
 * it has one; otherwise subscribe to its state$ and status$, which any number may do.
 */
function watchReported(
  player: PlayerAdapter,
  content: ContentSettingsHolder,
  settings: PlayerProfileSettings,
  sink: { next(patch: JsonObject): void; error(error: unknown): void },
  useWatch: boolean,
): () => void {
  const clock = settings.clock ?? systemClock;
  const backend = settings.audio?.backend;
  const sync = settings.features?.content;
  const fail = (error: unknown): void => sink.error(error);
  let state: PlayerState | undefined;
  const report = (): void => {
    if (state !== undefined) sink.next(reportedPlayerState(state, content.value, backend, clock.now()));
  };
  const onState = (next: PlayerState): void => {
    state = next;
    report();
  };
  const availability = playerAvailability();
  const onStatus = (status: ConnectionStatus): void => {
    const patch = availability(status);
    if (patch) sink.next(patch);
  };
  const unwatchContent = content.watch(report);
  let unwatch: () => void;
  if (useWatch && player.watch) {
    unwatch = player.watch({ state: onState, status: onStatus });
  } else {
    const states = player.state$.subscribe({ next: onState, error: fail });
    const statuses = player.status$.subscribe({ next: onStatus, error: fail });
    unwatch = () => {
      states.unsubscribe();
      statuses.unsubscribe();
    };
  }
  const syncs = sync?.state$.subscribe({ next: (patch) => sink.next(patch), error: fail });
  // A teardown function, not a Subscription collecting them: one object fewer per agent.
  return () => {
    unwatch();
    syncs?.unsubscribe();
    unwatchContent();
  };
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
const SET_CONTENT_SYNC = defineCommand({
  name: 'setContentSync',
  description: 'Switch content synchronisation on or off and move its source (reported as content.sync_enabled, content.source).',
  params: contentSyncParams,
  handler: async ({ enabled, source }, context: CommandContext<PlayerProfileServices>) => {
    const { content, features } = servicesOf(context);
    const sync = features.content;
    if (sync) {
      await sync.configure({ ...(enabled === undefined ? {} : { sync_enabled: enabled }), ...(source === undefined ? {} : { source }) });
      return;
    }
    if (source !== undefined) throw new CommandError('unsupported', 'content sync is not configured on this device (config `content.source`)');
    if (enabled !== undefined && content.value.sync_enabled !== enabled) content.set({ ...content.value, sync_enabled: enabled });
  },
});

/** The profile's own commands, after the player's (the handlers take PlayerProfileServices). */
const PROFILE_COMMANDS = [SET_CONTENT_SYNC] as readonly CommandSpec[];

/** ISO 8601 UTC to the second, as the Azure guide writes `lastUpdated` and `timestamp`. */
function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
