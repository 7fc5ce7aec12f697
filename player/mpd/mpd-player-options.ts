import { z } from 'zod';

/** Reconnect backoff; when omitted the agent's RetryPolicy (or the default backoff) is used. */
export const mpdReconnectSchema = z.object({
  /** First wait, ms. */
  initialMs: z.number().int().positive().optional(),
  /** Longest wait, ms. */
  maxMs: z.number().int().positive().optional(),
  /** Growth per attempt. */
  factor: z.number().min(1).optional(),
  /** Random share of each wait, 0-1. */
  jitter: z.number().min(0).max(1).optional(),
});

/**
 * Options of the `mpd` player kind. `host`/`port` are what the AmoraOS `mpd.host`/`mpd.port`
 * keys map to; `socketPath` (a Unix socket, e.g. /run/mpd/socket) wins over them when set.
 */
export const mpdPlayerOptionsSchema = z.object({
  host: z.string().min(1).default('localhost'),
  // Coerced: `${MPD_PORT}` interpolation yields a string.
  port: z.coerce.number().int().min(1).max(65_535).default(6600),
  socketPath: z.string().min(1).optional(),
  /** Sent with MPD's `password` command; never logged. */
  password: z.string().min(1).optional(),
  reconnect: mpdReconnectSchema.optional(),
  /** How often a playing player reports its position, ms. Default 1000. */
  positionIntervalMs: z.number().int().positive().default(1000),
  /** How long one connection attempt may take, ms. Default 5000. */
  connectTimeoutMs: z.number().int().positive().default(5000),
  /** How long MPD may take to answer one command before it fails with `timeout`, ms. Default 5000. */
  commandTimeoutMs: z.number().int().positive().default(5000),
});

export type MpdPlayerOptions = z.output<typeof mpdPlayerOptionsSchema>;
export type MpdPlayerOptionsInput = z.input<typeof mpdPlayerOptionsSchema>;
