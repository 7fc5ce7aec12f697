import { CommandError, type ContentSource as ContentSourceConfig } from '../core/index.js';
import type { ContentSource } from './content-source.js';

/**
 * The SDK each source kind needs: optional peers of amora-sync, like the cloud SDKs, so a device
 * that syncs from a manifest (or not at all) installs none. Versions as package.json pins them.
 */
export const CONTENT_SOURCE_PACKAGES: Readonly<Record<string, string>> = {
  'azure-blob': '@azure/storage-blob@12.32.0',
  s3: '@aws-sdk/client-s3@3.1138.0',
};

/** The source a config names; each vendor SDK is imported only when its kind is used. */
export async function createSource(config: ContentSourceConfig): Promise<ContentSource> {
  try {
    switch (config.kind) {
      case 'azure-blob':
        return new (await import('./azure-blob-source.js')).AzureBlobSource(config);
      case 's3':
        return new (await import('./s3-source.js')).S3Source(config);
      case 'https-manifest':
        return new (await import('./https-manifest-source.js')).HttpsManifestSource(config);
    }
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ? /Cannot find package '([^']+)'/.exec(String(error))?.[1] : undefined;
    if (missing === undefined) throw error;
    throw new CommandError('unsupported', `content source "${config.kind}" needs the package "${missing}": run \`npm install ${CONTENT_SOURCE_PACKAGES[config.kind] ?? missing}\``, { cause: error });
  }
}
