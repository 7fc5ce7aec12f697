import { z } from 'zod';

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

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const OUTBOX_SIZE_MOVED =
  'not an agent setting: each transport keeps its own offline outbox; set "outboxSize" on the transport entry (aws-iot: "telemetry.maxBufferSize")';

/** A plugin-kind section: `kind` names the kind, every other key is that kind's option. */
export const KindSectionSchema = z.looseObject({
  kind: z.string({ error: 'expected a kind name such as "mqtt"' }).min(1, 'expected a non-empty kind name'),
});

export const AgentConfigSchema = z.strictObject({
  device: z.strictObject({
    id: z
      .string({ error: 'expected a device id string' })
      .regex(DEVICE_ID_PATTERN, 'expected a device id of letters, digits, ".", "_" or "-"'),
    name: z.string().optional(),
    profile: z.string().min(1).default('player'),
  }),
  player: KindSectionSchema.optional(),
  transports: z.array(KindSectionSchema, { error: 'expected a list of transports, each {kind, ...options}' }).min(1, 'expected at least one transport'),
  plugins: z.array(z.string().min(1)).optional(),
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
      statusIntervalMs: numberish(z.number().int().positive()).optional(),
    })
    .optional(),
  /** The `system` section of reported state ({version, uptime}); `enabled: false` opts out. */
  system: z
    .strictObject({
      enabled: booleanish.default(true),
      uptimeIntervalMs: numberish(z.number().int().positive()).optional(),
    })
    .optional(),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).optional(),
});

/** A validated configuration. */
export type AgentConfig = z.output<typeof AgentConfigSchema>;
/** One `transports` entry or the `player` section. */
export type KindSection = z.output<typeof KindSectionSchema>;
