import { Readable } from 'node:stream';
import { AnonymousCredential, BlobServiceClient, ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { ContentSource as ContentSourceConfig } from '../core/index.js';
import { relativeKey, type ContentSource, type RemoteFile } from './content-source.js';

type AzureBlobConfig = Extract<ContentSourceConfig, { kind: 'azure-blob' }>;

/** A container of Azure Blob Storage (or Azurite), by connection string or container SAS URL. */
export class AzureBlobSource implements ContentSource {
  readonly description: string;
  private readonly container: ContainerClient;

  constructor(private readonly config: AzureBlobConfig) {
    // A sync retries as a whole (next command, next interval); the SDK's own retries made an
    // unreachable account take about 16 s to report.
    const options: StoragePipelineOptions = { retryOptions: { maxTries: 1 } };
    this.container = config.connection_string
      ? BlobServiceClient.fromConnectionString(config.connection_string, options).getContainerClient(config.container ?? '')
      : new ContainerClient(config.sas_url ?? '', new AnonymousCredential(), options);
    // The URL without its query: a SAS token is a secret.
    this.description = `Azure Blob container ${this.container.url.split('?')[0] ?? ''}${config.prefix ? ` (prefix ${config.prefix})` : ''}`;
  }

  async list(signal: AbortSignal): Promise<readonly RemoteFile[]> {
    const files: RemoteFile[] = [];
    const prefix = this.config.prefix;
    for await (const blob of this.container.listBlobsFlat({ ...(prefix ? { prefix } : {}), abortSignal: signal })) {
      const path = relativeKey(blob.name, prefix);
      if (path === undefined) continue;
      const md5 = blob.properties.contentMD5;
      files.push({
        path,
        size: blob.properties.contentLength ?? 0,
        version: blob.properties.etag ?? `${blob.properties.lastModified.getTime()}`,
        ...(md5 && md5.length > 0 ? { md5: Buffer.from(md5).toString('hex') } : {}),
      });
    }
    return files;
  }

  async open(file: RemoteFile, signal: AbortSignal): Promise<Readable> {
    const key = this.config.prefix ? `${this.config.prefix.replace(/\/?$/, '/')}${file.path}` : file.path;
    const response = await this.container.getBlobClient(key).download(0, undefined, { abortSignal: signal });
    const body = response.readableStreamBody;
    if (!body) throw new Error(`blob ${key} has no body`);
    return body instanceof Readable ? body : Readable.from(body);
  }
}
