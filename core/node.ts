// Node-only entry: everything in core plus the helpers that need Node built-ins.
export * from './index.js';
export { loadConfigFile } from './config/load-file.js';
export { nodePackageResolver } from './plugins/resolve-package.node.js';
export { checkOptionFiles } from './config/option-files.node.js';
export { FileDeviceStorage, type FileDeviceStorageOptions } from './state/file-device-storage.node.js';
export { FileOutboxStore, type FileOutboxStoreOptions } from './telemetry/file-outbox-store.node.js';
