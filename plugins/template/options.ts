import { z } from 'zod';

/**
 * Options of the `ws-hub` transport kind: the config's `transports:` entry without `kind`.
 * Strict, so a misspelt key is named instead of ignored. Numbers accept their string form,
 * because `${VAR}` interpolation and AMORA_* overrides produce strings.
 */
export const wsHubOptionsSchema = z.strictObject({
  /** The hub's address. */
  url: z
    .string()
    .refine((value) => URL.canParse(value) && ['ws:', 'wss:'].includes(new URL(value).protocol), {
      error: 'expected a hub URL such as ws://127.0.0.1:8787 or wss://hub.example',
    })
    .default('ws://127.0.0.1:8787'),
  /** Hubs to use in turn, the primary first, then standbys; given, it replaces `url`. */
  urls: z
    .array(z.string().refine((value) => URL.canParse(value) && ['ws:', 'wss:'].includes(new URL(value).protocol), { error: 'expected hub URLs such as ws://127.0.0.1:8787' }))
    .min(1)
    .optional(),
  /** Shared secret the hub asks for (when it was started with one); empty means none. A secret: never logged. */
  token: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  /** Longest a connection attempt may take, up to the hub's welcome, ms. */
  connectTimeoutMs: z.coerce.number().int().positive().default(10_000),
  /** The client pings the hub this often and reconnects when a ping goes unanswered until the next; 0 disables. */
  keepaliveSeconds: z.coerce.number().nonnegative().default(30),
  /** Reconnection backoff; when absent the agent's RetryPolicy (TOKENS.RetryPolicy) is used. */
  retry: z
    .strictObject({
      initialMs: z.coerce.number().int().positive().default(1_000),
      maxMs: z.coerce.number().int().positive().default(30_000),
    })
    .optional(),
  /** Responses and telemetry kept while offline; beyond this the oldest are dropped and counted. */
  outboxSize: z.coerce.number().int().nonnegative().default(1_000),
  /** Largest frame sent or command accepted, bytes. */
  maxPayloadBytes: z.coerce.number().int().positive().default(256 * 1024),
});

/** The options as written in a config. */
export type WsHubOptionsInput = z.input<typeof wsHubOptionsSchema>;
/** The options after validation and defaults: what TOKENS.KindOptions holds. */
export type WsHubOptions = z.output<typeof wsHubOptionsSchema>;
