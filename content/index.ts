import type { ContentSyncContext, ContentSyncFeature } from '../core/index.js';
import { ContentSyncService } from './content-sync-service.js';

export { ContentSyncService, type ContentSyncServiceOptions } from './content-sync-service.js';
export type { ContentSource, RemoteFile } from './content-source.js';
export { createSource } from './create-source.js';

/** The content sync feature for buildAgent's `contentSync` option (Node-only). */
export function createContentSync(context: ContentSyncContext): ContentSyncFeature {
  return new ContentSyncService(context);
}
