import { z } from 'zod';
import { STATE_CHANGE_MODES } from '../state/state-changes.js';
import { ContentConfigSchema, RebootConfigSchema } from './content-schema.js';
import { LOG_FORMATS, LOG_LEVELS } from './log-settings.js';

/**
 * The native Amora Sync configuration (YAML or JSON). Plugin-kind sections (`player`, each entry of
 * `transports`) are passed through here and validated later by the kind's own options schema.
 */

/** Accepts numbers, and numeric strings such as the result of `${PORT}` interpolation. */
const numberish = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value), schema);

/** Accepts booleans and the strings "true"/"false" (from interpolation or env overrides). */
const booleanish = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

const OUTBOX_SIZE_MOVED =
  'not an agent setting: each transport keeps its own offline outbox; set "outboxSize" on the transport entry (aws-iot: "telemetry.maxBufferSize")';

/** A plugin-kind section: `kind` names the kind, every other key is that kind's option. */
export const KindSectionSchema = z.looseObject({
  kind: z.string({ error: 'expected a kind name such as "mqtt"' }).min(1, 'expected a non-empty kind name'),
});

/**
 * `rateLimit` on a transport entry: the agent sends that transport's telemetry no faster than
 * `perSecond` on average (`burst` at once after a quiet spell); batches over the rate wait, and
 * only when more than `maxQueued` wait is the oldest dropped (and counted in its status).
 */
export const RateLimitSchema = z.strictObject({
  perSecond: numberish(z.number({ error: 'expected telemetry sends per second, a positive number' }).positive()),
  burst: numberish(z.number().min(1)).optional(),
  maxQueued: numberish(z.number().int().nonnegative()).optional(),
});

/**
 * A `transports` entry: a kind section plus core-level keys (`rateLimit`) that the agent applies
 * itself and strips before the kind validates its own options.
 */
export const TransportSectionSchema = KindSectionSchema.extend({
  rateLimit: RateLimitSchema.optional(),
});

/** Keys of a transports entry that belong to core, not to the kind's options. */
export const CORE_TRANSPORT_KEYS = ['rateLimit'] as const;

export const AgentConfigSchema = z.strictObject({
  device: z.strictObject({
    id: z
      .string({ error: 'expected a device id string' })
      .regex(DEVICE_ID_PATTERN, 'expected a device id of letters, digits, ".", "_" or "-"'),
    name: z.string().optional(),
    profile: z.string().min(1).default('player'),
  }),
  player: KindSectionSchema.optional(),
  transports: z.array(TransportSectionSchema, { error: 'expected a list of transports, each {kind, ...options}' }).min(1, 'expected at least one transport'),
  plugins: z.array(z.string().min(1)).optional(),
  /** Message middleware (signing, encryption, ...) applied around every transport, in order. */
  middleware: z.array(KindSectionSchema, { error: 'expected a list of middleware, each {kind, ...options}' }).optional(),
  commands: z
    .strictObject({
      timeoutMs: numberish(z.number().int().positive()).optional(),
      dedupeWindowMs: numberish(z.number().int().nonnegative()).optional(),
      /** Most answers remembered for repeated command_ids (least recently used go first); 0 keeps none once answered. */
      dedupeMax: numberish(z.number().int().nonnegative()).optional(),
    })
    .optional(),
  telemetry: z
    .strictObject({
      batchSize: numberish(z.number().int().positive()).optional(),
      batchIntervalMs: numberish(z.number().int().nonnegative()).optional(),
      /**
       * Not an agent setting: each transport keeps its own offline outbox, sized by its own option.
       * Named here only so that a config still carrying it is told where the setting lives.
       */
      outboxSize: z.never({ error: OUTBOX_SIZE_MOVED }).optional(),
      /** `<profile>Status` telemetry (e.g. playerStatus) every this many ms, and after each change of it. */
      statusIntervalMs: numberish(z.number().int().positive()).optional(),
      /** The least time between two change-driven status messages, ms. Default 1000. */
      statusMinIntervalMs: numberish(z.number().int().nonnegative()).optional(),
    })
    .optional(),
  /**
   * Player profile settings (AmoraOS `audio`): `volume` (0-100) and `device` (an output name) are
   * applied once when the agent starts, before desired state; `backend` is reported as it is.
   */
  audio: z
    .strictObject({
      volume: numberish(z.number({ error: 'expected a volume, an integer 0-100' }).int().min(0).max(100)).optional(),
      device: z.string().min(1).optional(),
      backend: z.string().min(1).optional(),
    })
    .optional(),
  /** The `system` section of reported state ({version, uptime}); `enabled: false` opts out. */
  system: z
    .strictObject({
      enabled: booleanish.default(true),
      uptimeIntervalMs: numberish(z.number().int().positive()).optional(),
      /** What the `reboot` command runs; without it (and outside dev_mode) `reboot` answers `unsupported`. */
      reboot: RebootConfigSchema.optional(),
    })
    .optional(),
  /** Music and playlist folders, and the content sync source (content-schema.ts). */
  content: ContentConfigSchema.optional(),
  /** Development mode (the AmoraOS key): `reboot` restarts the agent in-process instead of the device. */
  dev_mode: booleanish.optional(),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /** Unset: pretty on a terminal, JSON otherwise (files, pipes, services). */
      format: z.enum(LOG_FORMATS).optional(),
    })
    .optional(),
  /** The Prometheus endpoint (`/metrics`, `/healthz`, `/readyz`); off unless configured. */
  metrics: z
    .strictObject({
      port: numberish(z.number({ error: 'expected a TCP port, 0-65535' }).int().min(0).max(65535)),
      /** Address to bind; 0.0.0.0 lets a scraper on another machine or pod reach it. */
      host: z.string().min(1).default('127.0.0.1'),
    })
    .optional(),
  /**
   * Reported state: `changes: latest` (default) publishes snapshots where the latest change wins;
   * `every` also sends every change, in order, as `state_change` telemetry (state-changes.ts).
   */
  state: z
    .strictObject({
      changes: z.enum(STATE_CHANGE_MODES, { error: 'expected "latest" or "every"' }).default('latest'),
    })
    .optional(),
  /** Bounds of the desired document; a patch that would exceed them is refused, logged and counted. */
  desired: z
    .strictObject({
      maxBytes: numberish(z.number().int().positive()).optional(),
      maxKeys: numberish(z.number().int().positive()).optional(),
    })
    .optional(),
  /**
   * Where `amora agent` keeps what must survive a restart (the offline outboxes, the state version);
   * relative to the config file. `false` keeps nothing. Default: see docs/configuration.md.
   */
  stateDir: z.union([z.string().min(1), z.literal(false)], { error: 'expected a directory path, or false to keep no state' }).optional(),
});

/** A validated configuration. */
export type AgentConfig = z.output<typeof AgentConfigSchema>;
/** One `transports` entry or the `player` section. */
export type KindSection = z.output<typeof KindSectionSchema>;
/** One `transports` entry, core-level keys included. */
export type TransportSection = z.output<typeof TransportSectionSchema>;
/** A transport's telemetry rate limit. */
export type RateLimitConfig = z.output<typeof RateLimitSchema>;
