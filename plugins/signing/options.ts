import { z } from 'zod';

/**
 * Options of the `signing` middleware. Keys are text from the config (use `${VAR}` to take them
 * from the environment): an HS256 secret of 32 characters or more, or PEM (PKCS#8 private key to
 * sign, SPKI public key to verify) with `alg` ES256 or RS256.
 */
const keySchema = z.strictObject({
  /** Key id, sent in every signature's header so the other side picks the right key. */
  kid: z.string().min(1),
  key: z.string().min(1),
  alg: z.enum(['HS256', 'ES256', 'RS256']).default('HS256'),
});

export const signingOptionsSchema = z
  .strictObject({
    /** The key this side signs with (its kid is also accepted for verification when HS256). */
    signingKey: keySchema,
    /** Keys accepted on what comes in; list the old and the new during a rotation. */
    verificationKeys: z.array(keySchema).default([]),
    /** Refuse unsigned commands and desired state (and, at a controller, unsigned states). Default true. */
    require: z.boolean().default(true),
    /** Clock difference tolerated between the two ends. Default 30 s. */
    maxSkewMs: z.number().int().nonnegative().default(30_000),
    /** How long a signed command stays valid. Default 60 s. */
    commandTtlMs: z.number().int().positive().default(60_000),
    /** Encrypt these top-level sections of the reported state (JWE, dir + A256GCM). */
    encrypt: z
      .strictObject({
        sections: z.array(z.string().min(1)).min(1),
        /** Top-level keys of telemetry data objects to encrypt too (e.g. `status` of playerStatus, which repeats the playback). */
        telemetry: z.array(z.string().min(1)).default([]),
        /** 256-bit key, base64 or hex. */
        key: z.string().min(1),
        kid: z.string().min(1).default('state'),
        /** Keys still accepted for decryption, by kid: during a rotation, the one being replaced. */
        previousKeys: z.array(z.strictObject({ kid: z.string().min(1), key: z.string().min(1) })).default([]),
      })
      .optional(),
  })
  .superRefine((options, context) => {
    const hs = [options.signingKey, ...options.verificationKeys].filter((key) => key.alg === 'HS256' && key.key.length < 32);
    if (hs.length > 0) context.addIssue({ code: 'custom', message: `HS256 keys must be at least 32 characters (kid ${hs.map((key) => key.kid).join(', ')})` });
  });

export type SigningOptions = z.output<typeof signingOptionsSchema>;
export type SigningKeyOptions = z.output<typeof keySchema>;
