import { z } from 'zod';
import type { RebootRequest } from '../agent/reboot-request.js';
import { strictParams } from '../agent/strict-params.js';
import { defineCommand, type CommandContext, type CommandSpec } from '../commands/types.js';
import { CommandError } from '../errors.js';
import type { JsonObject } from '../state/json.js';
import type { ContentSyncFeature } from './content-sync.js';
import type { PlayerAdapter } from './player-adapter.js';
import type { PlayerState } from './player-state.js';

/** The commands of the player profile, in the order they are documented. */
export const PLAYER_COMMANDS = [
  'play',
  'pause',
  'stop',
  'next',
  'previous',
  'setVolume',
  'seek',
  'loadPlaylist',
  'getPlaylists',
  'getStatus',
  'setAudioDevice',
  'syncContent',
  'reboot',
] as const;

export type PlayerCommandName = (typeof PLAYER_COMMANDS)[number];

const noParams = strictParams({});

/**
 * Names handed to a player (playlist names) never hold control characters: a line feed would end
 * a line-protocol command early (MPD ran `rm Evening` from `"nope\nrm Evening"`).
 */
const playerName = z
  .string()
  .min(1)
  .refine((value) => ![...value].some((char) => char < ' ' || char === '\u007f'), 'must not contain control characters (line feeds, tabs, ...)');

// Built once per process, not once per agent (every agent in a process shares them).
const volumeParams = strictParams({ volume: z.number().int().min(0).max(100) });
const seekParams = strictParams({ position: z.number().min(0) });
const playlistParams = strictParams({ playlist: playerName });
const deviceParams = strictParams({ device: z.string().min(1) });
const syncParams = strictParams({ force: z.boolean().default(false) });

/** Optional features of the player profile; a command whose feature is absent answers `unsupported`. */
export interface PlayerFeatures {
  readonly content?: ContentSyncFeature;
  readonly reboot?: RebootRequest;
  /** Deadline of `syncContent`, ms; longer than the default command deadline. Default 10 minutes. */
  readonly syncTimeoutMs?: number;
}

/**
 * What the player commands act on, handed to them as `context.services` (the player profile's
 * DeviceProfile.services): the specs themselves are built once per process and shared by every agent.
 */
export interface PlayerServices {
  readonly player: PlayerAdapter;
  readonly features: PlayerFeatures;
}

/** The services a shared spec's handler runs with. @throws CommandError `unavailable` without them. */
export function servicesOf<S>(context: CommandContext<S>): S {
  if (context.services === undefined) throw new CommandError('unavailable', 'the player commands need the player profile\'s services (DeviceProfile.services)');
  return context.services;
}

type PlayerContext = CommandContext<PlayerServices>;
const playerOf = (context: PlayerContext): PlayerAdapter => servicesOf(context).player;

/** The playback commands, the same for every player. */
const PLAYBACK_COMMANDS = [
  defineCommand({ name: 'play', description: 'Start or resume playback.', params: noParams, handler: (_, context: PlayerContext) => playerOf(context).play() }),
  defineCommand({ name: 'pause', description: 'Pause playback, keeping the position.', params: noParams, handler: (_, context: PlayerContext) => playerOf(context).pause() }),
  defineCommand({ name: 'stop', description: 'Stop playback.', params: noParams, handler: (_, context: PlayerContext) => playerOf(context).stopPlayback() }),
  defineCommand({ name: 'next', description: 'Skip to the next track of the queue.', params: noParams, handler: (_, context: PlayerContext) => playerOf(context).next() }),
  defineCommand({ name: 'previous', description: 'Go back to the previous track of the queue.', params: noParams, handler: (_, context: PlayerContext) => playerOf(context).previous() }),
  defineCommand({
    name: 'setVolume',
    description: 'Set the volume, an integer from 0 to 100.',
    params: volumeParams,
    handler: ({ volume }, context: PlayerContext) => playerOf(context).setVolume(volume),
  }),
  defineCommand({
    name: 'seek',
    description: 'Move to a position in the current track, in seconds.',
    params: seekParams,
    handler: ({ position }, context: PlayerContext) => playerOf(context).seek(position),
  }),
  defineCommand({
    name: 'loadPlaylist',
    description: 'Replace the queue with a stored playlist and start playing it.',
    params: playlistParams,
    handler: ({ playlist }, context: PlayerContext) => playerOf(context).loadPlaylist(playlist),
  }),
  defineCommand({
    name: 'getPlaylists',
    description: 'List the stored playlists.',
    params: noParams,
    handler: async (_, context: PlayerContext) => ({ playlists: [...(await playerOf(context).getPlaylists())] }),
  }),
  defineCommand({
    name: 'getStatus',
    description: 'Return the full player state: audio, playback and playlists.',
    params: noParams,
    handler: async (_, context: PlayerContext) => playerStateToJson(await playerOf(context).getStatus()),
  }),
  defineCommand({
    name: 'setAudioDevice',
    description: 'Play through the audio output of this name (MPD: that output only); "default" keeps the player\'s own.',
    params: deviceParams,
    handler: async ({ device }, context: PlayerContext) => {
      const player = playerOf(context);
      if (!player.setOutput) throw new CommandError('conflict', `player ${player.id} has no selectable audio outputs`);
      await player.setOutput(device);
    },
  }),
] as const;

/** `syncContent` with its deadline (`content.sync_timeout_ms`, the one spec field a config sets). */
function syncContentCommand(timeoutMs: number) {
  return defineCommand({
    name: 'syncContent',
    description: 'Download what changed at the content source and answer when the player sees it; force re-downloads everything.',
    params: syncParams,
    timeoutMs,
    handler: ({ force }, context: PlayerContext) => {
      const { content } = servicesOf(context).features;
      if (!content) throw new CommandError('unsupported', 'content sync is not configured on this device (config `content.source`)');
      return content.sync({ force }, context.signal);
    },
  });
}

/** `reboot`: answer, then go offline and run the hook (RebootRequest). */
const REBOOT_COMMAND = defineCommand({
  name: 'reboot',
  description: 'Answer, go offline with reason "reboot" on every transport, then run the configured reboot hook.',
  params: noParams,
  handler: (_, context: PlayerContext) => {
    const { reboot } = servicesOf(context).features;
    if (!reboot) throw new CommandError('unsupported', 'reboot is not configured on this device (config `system.reboot.command`)');
    reboot.request();
    return { rebooting: true };
  },
});

/**
 * The player commands (their handlers find the player in `context.services`, PlayerServices),
 * in the order they are documented, with `extra` after them (the player profile's own commands,
 * which live with the profile). One list per `syncTimeoutMs` (a deadline is a spec field) and
 * `extra`, shared by every agent of the process; frozen, so the dispatcher shares its lookup
 * table too.
 */
export function playerCommands(syncTimeoutMs: number | undefined, extra: readonly CommandSpec[]): readonly CommandSpec[] {
  const timeoutMs = syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  let byExtra = commandLists.get(timeoutMs);
  if (!byExtra) commandLists.set(timeoutMs, (byExtra = new WeakMap()));
  let list = byExtra.get(extra);
  if (!list) {
    // The handlers take PlayerServices; the agent hands them the profile's services (unknown to it).
    const specs = [...PLAYBACK_COMMANDS, syncContentCommand(timeoutMs), REBOOT_COMMAND] as readonly CommandSpec[];
    list = Object.freeze([...specs, ...extra]);
    byExtra.set(extra, list);
  }
  return list;
}

/** The shared lists, by sync deadline, then by the extra specs after them. */
const commandLists = new Map<number, WeakMap<readonly CommandSpec[], readonly CommandSpec[]>>();

const DEFAULT_SYNC_TIMEOUT_MS = 600_000;


/**
 * The player state as the reported-state sections `audio`, `playback`, `playlists`. Optional
 * fields that are absent become `null`, so as a merge patch a vanished value is deleted rather
 * than left stale.
 */
export function playerStateToJson(state: PlayerState): JsonObject {
  const { audio, playback } = state;
  return {
    audio: { volume: audio.volume, device: audio.device ?? null, backend: audio.backend ?? null },
    playback: {
      status: playback.status,
      current_track: playback.current_track,
      position: playback.position,
      duration: playback.duration,
      playlist: playback.playlist,
    },
    playlists: [...state.playlists],
  };
}
