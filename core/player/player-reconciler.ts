import type { ReconcileStep } from '../agent/device-profile.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../state/json.js';

const STATUS_COMMANDS: Readonly<Record<string, string>> = { playing: 'play', paused: 'pause', stopped: 'stop' };

/**
 * Turns a desired-minus-reported delta into player commands, in the order they compose:
 * load the default playlist (which starts playback), then set the volume, then the playback status.
 *
 * - `audio.volume` → setVolume
 * - `audio.device` → setAudioDevice (the output of that name)
 * - `content.sync_enabled`, `content.source` → setContentSync (reported as content.sync_enabled, content.source)
 * - `content.default_playlist` → loadPlaylist, only when reported `playback.playlist` differs
 *   (desired `content` has no reported mirror, so it stays in the delta for good)
 * - `playback.status` playing | paused | stopped → play | pause | stop
 *
 * Values of the wrong type are skipped, not guessed at; the command schemas check ranges.
 */
export function reconcilePlayer(delta: JsonObject, reported: JsonObject): readonly ReconcileStep[] {
  const steps: ReconcileStep[] = [];
  const playlist = at(delta, 'content', 'default_playlist');
  if (typeof playlist === 'string' && playlist !== '' && at(reported, 'playback', 'playlist') !== playlist) {
    steps.push({ command: 'loadPlaylist', params: { playlist } });
  }
  const volume = at(delta, 'audio', 'volume');
  if (typeof volume === 'number') steps.push({ command: 'setVolume', params: { volume } });
  const device = at(delta, 'audio', 'device');
  if (typeof device === 'string' && device !== '') steps.push({ command: 'setAudioDevice', params: { device } });
  const status = at(delta, 'playback', 'status');
  const statusCommand = typeof status === 'string' ? STATUS_COMMANDS[status] : undefined;
  if (statusCommand) steps.push({ command: statusCommand, params: {} });
  const contentSync = contentSyncStep(delta);
  if (contentSync) steps.push(contentSync);
  return steps;
}

/**
 * Desired `content.sync_enabled` and `content.source` → setContentSync. Content sync reports both
 * back once applied, so they leave the delta; a source of the wrong shape is skipped.
 */
function contentSyncStep(delta: JsonObject): ReconcileStep | undefined {
  const enabled = at(delta, 'content', 'sync_enabled');
  const source = at(delta, 'content', 'source');
  const params = {
    ...(typeof enabled === 'boolean' ? { enabled } : {}),
    ...(isJsonObject(source) && Object.values(source).every((value) => typeof value === 'string') ? { source } : {}),
  };
  return Object.keys(params).length > 0 ? { command: 'setContentSync', params } : undefined;
}

function at(object: JsonObject, section: string, key: string): JsonValue | undefined {
  const inner = object[section];
  return isJsonObject(inner) ? inner[key] : undefined;
}
