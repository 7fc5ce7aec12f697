import { z } from 'zod';
import type { RebootRequest } from '../agent/reboot-request.js';
import { strictParams } from '../agent/strict-params.js';
import { defineCommand, type CommandSpec } from '../commands/types.js';
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

/** The player profile's command specs, bound to one player and its optional features. */
export function createPlayerCommands(player: PlayerAdapter, features: PlayerFeatures = {}): readonly CommandSpec[] {
  return [
    defineCommand({ name: 'play', description: 'Start or resume playback.', params: noParams, handler: () => player.play() }),
    defineCommand({ name: 'pause', description: 'Pause playback, keeping the position.', params: noParams, handler: () => player.pause() }),
    defineCommand({ name: 'stop', description: 'Stop playback.', params: noParams, handler: () => player.stopPlayback() }),
    defineCommand({ name: 'next', description: 'Skip to the next track of the queue.', params: noParams, handler: () => player.next() }),
    defineCommand({ name: 'previous', description: 'Go back to the previous track of the queue.', params: noParams, handler: () => player.previous() }),
    defineCommand({
      name: 'setVolume',
      description: 'Set the volume, an integer from 0 to 100.',
      params: volumeParams,
      handler: ({ volume }) => player.setVolume(volume),
    }),
    defineCommand({
      name: 'seek',
      description: 'Move to a position in the current track, in seconds.',
      params: seekParams,
      handler: ({ position }) => player.seek(position),
    }),
    defineCommand({
      name: 'loadPlaylist',
      description: 'Replace the queue with a stored playlist and start playing it.',
      params: playlistParams,
      handler: ({ playlist }) => player.loadPlaylist(playlist),
    }),
    defineCommand({
      name: 'getPlaylists',
      description: 'List the stored playlists.',
      params: noParams,
      handler: async () => ({ playlists: [...(await player.getPlaylists())] }),
    }),
    defineCommand({
      name: 'getStatus',
      description: 'Return the full player state: audio, playback and playlists.',
      params: noParams,
      handler: async () => playerStateToJson(await player.getStatus()),
    }),
    defineCommand({
      name: 'setAudioDevice',
      description: 'Play through the audio output of this name (MPD: that output only); "default" keeps the player\'s own.',
      params: deviceParams,
      handler: async ({ device }) => {
        if (!player.setOutput) throw new CommandError('conflict', `player ${player.id} has no selectable audio outputs`);
        await player.setOutput(device);
      },
    }),
    ...featureCommands(features),
  ];
}

/** `syncContent` and `reboot`: device features beyond playback (`setContentSync` is the profile's, see player-profile.ts). */
function featureCommands({ content, reboot, syncTimeoutMs }: PlayerFeatures): readonly CommandSpec[] {
  const needContent = (): ContentSyncFeature => {
    if (!content) throw new CommandError('unsupported', 'content sync is not configured on this device (config `content.source`)');
    return content;
  };
  return [
    defineCommand({
      name: 'syncContent',
      description: 'Download what changed at the content source and answer when the player sees it; force re-downloads everything.',
      params: syncParams,
      timeoutMs: syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS,
      handler: ({ force }, { signal }) => needContent().sync({ force }, signal),
    }),
    defineCommand({
      name: 'reboot',
      description: 'Answer, go offline with reason "reboot" on every transport, then run the configured reboot hook.',
      params: noParams,
      handler: () => {
        if (!reboot) throw new CommandError('unsupported', 'reboot is not configured on this device (config `system.reboot.command`)');
        reboot.request();
        return { rebooting: true };
      },
    }),
  ];
}

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
