import {
  type PlaybackStatus,
  type PlayerState,
} from '../../core/index.js';

/**
 * Parsing MPD answers into the player profile's state. Our own small parser rather than mpd2's:
 * mpd2's parsers change behaviour through module-global switches (normalizeKeys, autoparseValues)
 * that any other user of mpd2 in the process may flip, and return untyped objects.
 */
export type MpdFields = Readonly<Record<string, string>>;

/** `key: value` lines to a record; the first value of a repeated key wins (e.g. several Title tags). */
export function parseFields(lines: readonly string[]): MpdFields {
  const fields: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(': ');
    if (colon > 0) fields[line.slice(0, colon)] ??= line.slice(colon + 2);
  }
  return fields;
}

/** Splits an answer into lines, dropping the empty ones and a trailing OK. */
export function answerLines(answer: string): string[] {
  return answer.split('\n').filter((line) => line.length > 0 && line !== 'OK');
}

/**
 * Splits the answer of `command_list_begin / status / currentsong / command_list_end` into its two
 * parts: `status` never has a `file` key and `currentsong` starts with one (or is empty).
 */
export function splitStatusAndSong(answer: string): { status: MpdFields; song: MpdFields } {
  const lines = answerLines(answer);
  const songStart = lines.findIndex((line) => line.startsWith('file: '));
  return songStart < 0
    ? { status: parseFields(lines), song: {} }
    : { status: parseFields(lines.slice(0, songStart)), song: parseFields(lines.slice(songStart)) };
}

/** Names of stored playlists from `listplaylists`, in MPD's order. */
export function parsePlaylistNames(answer: string): string[] {
  return answerLines(answer)
    .filter((line) => line.startsWith('playlist: '))
    .map((line) => line.slice('playlist: '.length));
}

/** Name of the first enabled output from `outputs`, the device that actually plays. */
export function parseOutputName(answer: string): string | undefined {
  let name: string | undefined;
  for (const line of answerLines(answer)) {
    if (line.startsWith('outputname: ')) name = line.slice('outputname: '.length);
    else if (line === 'outputenabled: 1' && name !== undefined) return name;
  }
  return undefined;
}

/** One audio output of MPD's `outputs` answer. */
export interface MpdOutput {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
}

/** Every output of an `outputs` answer, in MPD's order. */
export function parseOutputs(answer: string): MpdOutput[] {
  const outputs: { id: string; name: string; enabled: boolean }[] = [];
  for (const line of answerLines(answer)) {
    if (line.startsWith('outputid: ')) outputs.push({ id: line.slice('outputid: '.length), name: '', enabled: false });
    const current = outputs.at(-1);
    if (current === undefined) continue;
    if (line.startsWith('outputname: ')) current.name = line.slice('outputname: '.length);
    else if (line.startsWith('outputenabled: ')) current.enabled = line === 'outputenabled: 1';
  }
  return outputs;
}

const PLAYBACK: Readonly<Record<string, PlaybackStatus>> = { play: 'playing', pause: 'paused', stop: 'stopped' };

/** What the adapter knows besides the status: playlists, output device, the playlist it loaded. */
export interface MpdContext {
  readonly playlists: readonly string[];
  readonly device?: string;
  readonly playlist: string | null;
}

/**
 * The player profile's state from `status` + `currentsong`. `elapsedOffset` (seconds) moves the
 * position on while playing, between two reads of the status. A missing `volume` (no mixer) is
 * reported as 0.
 */
export function toPlayerState(status: MpdFields, song: MpdFields, context: MpdContext, elapsedOffset = 0): PlayerState {
  const playback = PLAYBACK[status['state'] ?? ''] ?? 'stopped';
  const duration = numberOf(status['duration'] ?? song['duration'] ?? song['Time']);
  const elapsed = numberOf(status['elapsed']) + (playback === 'playing' ? elapsedOffset : 0);
  const position = duration > 0 ? Math.min(elapsed, duration) : elapsed;
  const file = song['file'];
  const volume = numberOf(status['volume']);
  return {
    audio: {
      volume: volume >= 0 && volume <= 100 ? volume : 0,
      ...(context.device === undefined ? {} : { device: context.device }),
      backend: 'mpd',
    },
    playback: {
      status: playback,
      current_track: song['Title'] ?? (file === undefined ? null : baseName(file)),
      // Millisecond precision: MPD reports elapsed to the millisecond.
      position: Math.round(position * 1000) / 1000,
      duration: Math.round(duration * 1000) / 1000,
      playlist: context.playlist,
    },
    playlists: context.playlists,
  };
}

function numberOf(value: string | undefined): number {
  const parsed = value === undefined ? Number.NaN : Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : 0;
}

function baseName(file: string): string {
  // Stream URLs keep their whole address; library paths lose their folders.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(file) ? file : (file.split('/').pop() ?? file);
}
