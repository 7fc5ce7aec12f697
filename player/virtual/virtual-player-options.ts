import { z } from 'zod';

/** One simulated track: a title and how long it plays, in seconds. */
export const virtualTrackSchema = z.strictObject({
  title: z.string().min(1),
  duration: z.number().positive(),
});

/**
 * Options of the `virtual` player kind. Playlists map a name to its tracks; when omitted, a small
 * default library (Morning Jazz, Focus, Road Trip) is used so a demo has something to play.
 * Strict, so a misspelt key is named instead of ignored.
 */
export const virtualPlayerOptionsSchema = z
  .strictObject({
  playlists: z
    .record(z.string().min(1), z.array(virtualTrackSchema).min(1))
    .refine((playlists) => Object.keys(playlists).length > 0, 'at least one playlist')
    .optional(),
  /** 0-100. Default 50. */
  initialVolume: z.coerce.number().int().min(0).max(100).default(50),
  /** How often a playing player reports its position, ms. Default 1000. */
  positionIntervalMs: z.coerce.number().int().positive().default(1000),
  /** Reported as `audio.device` until setOutput chooses another. Default "virtual". */
  device: z.string().min(1).default('virtual'),
  /**
   * The playlist in the queue at start, not playing, as a real player keeps its saved queue, so
   * `play` works on a fresh device. Default: the first playlist; "" starts with an empty queue.
   */
  queue: z.string().optional(),
  })
  .refine((options) => !options.queue || Object.hasOwn(options.playlists ?? DEFAULT_VIRTUAL_PLAYLISTS, options.queue), {
    error: 'expected the name of one of the playlists',
    path: ['queue'],
  });

export type VirtualTrack = z.output<typeof virtualTrackSchema>;
export type VirtualPlayerOptions = z.output<typeof virtualPlayerOptionsSchema>;
export type VirtualPlayerOptionsInput = z.input<typeof virtualPlayerOptionsSchema>;

/** The library a virtual player starts with when the config names none. */
export const DEFAULT_VIRTUAL_PLAYLISTS: Readonly<Record<string, readonly VirtualTrack[]>> = {
  'Morning Jazz': [
    { title: 'Blue in Green', duration: 337 },
    { title: 'Take Five', duration: 324 },
    { title: 'Autumn Leaves', duration: 421 },
  ],
  Focus: [
    { title: 'Deep Work', duration: 245 },
    { title: 'Flow State', duration: 298 },
    { title: 'Quiet Hours', duration: 276 },
  ],
  'Road Trip': [
    { title: 'Open Highway', duration: 213 },
    { title: 'Desert Sunset', duration: 254 },
    { title: 'City Lights', duration: 231 },
    { title: 'Coastline', duration: 199 },
  ],
};
