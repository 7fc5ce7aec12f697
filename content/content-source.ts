import type { Readable } from 'node:stream';

/** One file at the content source, relative to the source's prefix. */
export interface RemoteFile {
  /** `/`-separated path below the prefix, e.g. `albums/one.flac` or `relaxing.m3u`. */
  readonly path: string;
  readonly size: number;
  /** What changes when the content changes: an ETag, or the manifest's sha256. */
  readonly version: string;
  /** Digests to verify the download with, when the source knows them. */
  readonly md5?: string;
  readonly sha256?: string;
}

/** Where content sync reads from: Azure Blob Storage, S3, or an HTTPS manifest. */
export interface ContentSource {
  /** Says where, for messages (never with credentials). */
  readonly description: string;
  /** Every file below the prefix. */
  list(signal: AbortSignal): Promise<readonly RemoteFile[]>;
  /** The file's bytes. */
  open(file: RemoteFile, signal: AbortSignal): Promise<Readable>;
}

/** The path of `key` below `prefix`, or undefined for a key outside it or a folder marker. */
export function relativeKey(key: string, prefix: string | undefined): string | undefined {
  const base = prefix === undefined || prefix === '' ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`;
  if (!key.startsWith(base)) return undefined;
  const path = key.slice(base.length);
  return path === '' || path.endsWith('/') ? undefined : path;
}
