import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { ContentSource as ContentSourceConfig } from '../core/index.js';
import { relativeKey, type ContentSource, type RemoteFile } from './content-source.js';

type S3Config = Extract<ContentSourceConfig, { kind: 's3' }>;

/** A bucket (and a prefix in it) of Amazon S3 or an S3-compatible store. */
export class S3Source implements ContentSource {
  readonly description: string;
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    const credentials =
      config.access_key_id && config.secret_access_key ? { accessKeyId: config.access_key_id, secretAccessKey: config.secret_access_key } : undefined;
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.force_path_style,
      // A sync retries as a whole; the SDK's own three attempts would triple an outage's wait.
      maxAttempts: 1,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    });
    this.description = `S3 bucket ${config.bucket}${config.endpoint ? ` at ${config.endpoint}` : ''}${config.prefix ? ` (prefix ${config.prefix})` : ''}`;
  }

  async list(signal: AbortSignal): Promise<readonly RemoteFile[]> {
    const files: RemoteFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.config.prefix, ContinuationToken: token }),
        { abortSignal: signal },
      );
      for (const object of page.Contents ?? []) {
        const path = object.Key === undefined ? undefined : relativeKey(object.Key, this.config.prefix);
        if (path === undefined) continue;
        const etag = (object.ETag ?? '').replaceAll('"', '');
        // A single-part upload's ETag is the MD5 of its bytes; a multipart one has a "-N" suffix.
        files.push({ path, size: object.Size ?? 0, version: etag, ...(/^[0-9a-f]{32}$/i.test(etag) ? { md5: etag.toLowerCase() } : {}) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async open(file: RemoteFile, signal: AbortSignal): Promise<Readable> {
    const key = this.config.prefix ? `${this.config.prefix.replace(/\/?$/, '/')}${file.path}` : file.path;
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }), { abortSignal: signal });
    const body = response.Body;
    if (!(body instanceof Readable)) throw new Error(`object ${key} has no readable body`);
    return body;
  }
}
