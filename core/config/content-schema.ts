import { z } from 'zod';

/**
 * The `content` section: where music and playlists live on the device (the AmoraOS `config.json`
 * keys `storage_path` and `playlists_path`) and, for content sync, where they come from.
 * Keys are snake_case like the AmoraOS section they extend.
 */

const numberish = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value), schema);
const booleanish = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());
const prefix = z.string().optional();

/** Azure Blob Storage: a container (and a prefix in it), by connection string or by a container SAS URL. */
const AzureBlobSourceSchema = z
  .strictObject({
    kind: z.literal('azure-blob'),
    /** Needed with connection_string; a SAS URL names its container itself. */
    container: z.string().min(1, 'expected a container name').optional(),
    prefix,
    connection_string: z.string().min(1).optional(),
    /** A container URL with a SAS token (`https://acct.blob.core.windows.net/music?sv=...`). */
    sas_url: z.url({ error: 'expected a container URL with a SAS token' }).optional(),
  })
  .refine((source) => (source.connection_string === undefined) !== (source.sas_url === undefined), {
    error: 'expected exactly one of connection_string or sas_url',
  })
  .refine((source) => source.connection_string === undefined || source.container !== undefined, {
    error: 'expected a container name with connection_string',
    path: ['container'],
  });

/** Amazon S3 or an S3-compatible store: a bucket and a prefix; credentials from the keys or the AWS default chain. */
const S3SourceSchema = z.strictObject({
  kind: z.literal('s3'),
  bucket: z.string().min(1, 'expected a bucket name'),
  prefix,
  region: z.string().min(1).default('us-east-1'),
  /** For S3-compatible stores (MinIO, R2, a local test server). */
  endpoint: z.url().optional(),
  force_path_style: booleanish.default(false),
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
});

/** Anything else: a JSON list of `{path, url, size, sha256}` at an HTTPS address. */
const HttpsManifestSourceSchema = z.strictObject({
  kind: z.literal('https-manifest'),
  url: z.url({ error: 'expected the manifest URL' }),
});

export const ContentSourceSchema = z.discriminatedUnion('kind', [AzureBlobSourceSchema, S3SourceSchema, HttpsManifestSourceSchema], {
  error: 'expected a source with kind "azure-blob", "s3" or "https-manifest"',
});

/** The camelCase spellings (`storagePath`, `playlistsPath`) are accepted as the same keys. */
const CAMEL_ALIASES: Readonly<Record<string, string>> = { storagePath: 'storage_path', playlistsPath: 'playlists_path' };

const ContentObjectSchema = z.strictObject({
  /** The music folder (MPD's music_directory); required with a source. */
  storage_path: z.string().min(1, 'expected the music folder').optional(),
  /** The `.m3u` playlists folder (MPD's playlist_directory). Default `<storage_path>/playlists`. */
  playlists_path: z.string().min(1).optional(),
  source: ContentSourceSchema.optional(),
  /** Remove files an earlier sync wrote that the source no longer has. Default true. */
  delete_removed: booleanish.default(true),
  /** Sync on a schedule from the start (desired `content.sync_enabled` turns it on and off). */
  sync_enabled: booleanish.default(false),
  /** Seconds between scheduled syncs. Default 3600. */
  sync_interval_s: numberish(z.number().positive()).default(3600),
  /** Deadline of one `syncContent` command, ms. Default 600 000 (ten minutes). */
  sync_timeout_ms: numberish(z.number().int().positive()).default(600_000),
});

export const ContentConfigSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [CAMEL_ALIASES[key] ?? key, inner]))
      : value,
  ContentObjectSchema.refine((content) => content.source === undefined || content.storage_path !== undefined, {
    error: 'expected storage_path (the music folder) with a source',
    path: ['storage_path'],
  }),
);

/** `system.reboot`: the command that reboots the device, run after the agent went offline. */
export const RebootConfigSchema = z.strictObject({
  command: z.array(z.string().min(1)).min(1, 'expected the command and its arguments, e.g. ["systemctl", "reboot"]'),
});

export type ContentConfig = z.output<typeof ContentConfigSchema>;
export type ContentSource = z.output<typeof ContentSourceSchema>;
export type RebootConfig = z.output<typeof RebootConfigSchema>;
