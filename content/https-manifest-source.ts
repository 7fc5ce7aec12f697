import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import type { ContentSource as ContentSourceConfig } from '../core/index.js';
import type { ContentSource, RemoteFile } from './content-source.js';

type ManifestConfig = Extract<ContentSourceConfig, { kind: 'https-manifest' }>;

/** The manifest: a JSON list of files; a relative `url` is read against the manifest's own address. */
const manifestSchema = z.array(
  z.strictObject({
    path: z.string().min(1),
    url: z.string().min(1),
    size: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected a hex SHA-256'),
  }),
);

/** Any web server: a manifest listing each file's address, size and SHA-256. */
export class HttpsManifestSource implements ContentSource {
  readonly description: string;
  private readonly urls = new Map<string, string>();

  constructor(private readonly config: ManifestConfig) {
    this.description = `manifest ${config.url.split('?')[0] ?? ''}`;
  }

  async list(signal: AbortSignal): Promise<readonly RemoteFile[]> {
    const response = await fetch(this.config.url, { signal });
    if (!response.ok) throw new Error(`${this.description} answered HTTP ${response.status}`);
    const parsed = manifestSchema.safeParse(await response.json());
    if (!parsed.success) throw new Error(`${this.description} is not a list of {path, url, size, sha256}: ${parsed.error.issues[0]?.message ?? ''}`);
    this.urls.clear();
    return parsed.data.map((entry) => {
      this.urls.set(entry.path, new URL(entry.url, this.config.url).toString());
      const sha256 = entry.sha256.toLowerCase();
      return { path: entry.path, size: entry.size, version: sha256, sha256 };
    });
  }

  async open(file: RemoteFile, signal: AbortSignal): Promise<Readable> {
    const url = this.urls.get(file.path);
    if (url === undefined) throw new Error(`${file.path} is not in the manifest`);
    const response = await fetch(url, { signal });
    if (!response.ok || !response.body) throw new Error(`${file.path}: HTTP ${response.status}`);
    return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  }
}
