import { z } from 'zod';

/** Reconnect backoff; when omitted the agent's RetryPolicy (or the default backoff) is used. */
export const mpdReconnectSchema = z.strictObject({
  /** First wait, ms. */
  initialMs: z.coerce.number().int().positive().optional(),
  /** Longest wait, ms. */
  maxMs: z.coerce.number().int().positive().optional(),
  /** Growth per attempt. */
  factor: z.coerce.number().min(1).optional(),
  /** Random share of each wait, 0-1. */
  jitter: z.coerce.number().min(0).max(1).optional(),
});

/**
 * Options of the `mpd` player kind. `host`/`port` are what the AmoraOS `mpd.host`/`mpd.port`
 * keys map to; `socketPath` (a Unix socket, e.g. /run/mpd/socket) wins over them when set.
 * Strict, so a misspelt key is named instead of ignored; numbers also accept their string form,
 * because `${VAR}` interpolation produces strings.
 */
export const mpdPlayerOptionsSchema = z.strictObject({
  host: z.string().min(1).default('localhost'),
  port: z.coerce.number().int().min(1).max(65_535).default(6600),
  socketPath: z.string().min(1).optional(),
  /** Sent with MPD's `password` command; never logged. Empty means none (as in AmoraOS configs). */
  password: z.string().optional(),
  reconnect: mpdReconnectSchema.optional(),
  /** How often a playing player reports its position, ms. Default 1000. */
  positionIntervalMs: z.coerce.number().int().positive().default(1000),
  /** How long one connection attempt may take, ms. Default 5000. */
  connectTimeoutMs: z.coerce.number().int().positive().default(5000),
  /** How long MPD may take to answer one command before it fails with `timeout`, ms. Default 5000. */
  commandTimeoutMs: z.coerce.number().int().positive().default(5000),
});

export type MpdPlayerOptions = z.output<typeof mpdPlayerOptionsSchema>;
export type MpdPlayerOptionsInput = z.input<typeof mpdPlayerOptionsSchema>;
