import type { ContentSource as ContentSourceConfig } from '../core/config/content-schema.js';
import type { ContentSource } from './content-source.js';

/** The source a config names; each vendor SDK is imported only when its kind is used. */
export async function createSource(config: ContentSourceConfig): Promise<ContentSource> {
  switch (config.kind) {
    case 'azure-blob':
      return new (await import('./azure-blob-source.js')).AzureBlobSource(config);
    case 's3':
      return new (await import('./s3-source.js')).S3Source(config);
    case 'https-manifest':
      return new (await import('./https-manifest-source.js')).HttpsManifestSource(config);
  }
}
