export {
  SHARED_DOCUMENT,
  type ConfigBackend,
  type ConfigStore,
  type ConfigDocument,
  type ConfigVersionInfo,
  type ConfigDiff,
  type ConfigChange,
  type CurrentDocument,
  type ConfigSubscription,
  type KeyPathChange,
  type SetOptions,
  type RollbackOptions,
  type WriteOptions,
} from './types.js';
export { ConfigConflictError } from './errors.js';
export { FileConfigStore, type FileConfigStoreOptions } from './file-store.js';
export { EtcdConfigStore, createEtcdConfigStore, DEFAULT_ETCD_PREFIX, type EtcdConfigStoreOptions } from './etcd-store.js';
export { openConfigStore, resolveBackend, splitEndpoints, type ConfigStoreSettings } from './open-store.js';
export { parseConfigText, keyPathChanges } from './document.js';
export { unifiedDiff } from './text-diff.js';
export { buildServiceConfig, type ConfigLayer } from './layers.js';
export { schemaToJson, restartPathsOf, RESTART_KEYWORD } from './schema-json.js';
export { ConfigWatcher, type ConfigWatcherOptions, type ConfigReloadStatus, type ReloadLogger } from './watcher.js';
export { startConfigCentre, type ConfigCentreOptions, type ConfigCentreSession } from './session.js';
export { attachConfigReload, registerConfigStatusRoute, CONFIG_STATUS_PATH, type ConfigReload, type AttachConfigReloadOptions } from './reload.js';
export { defaultAuthor, checkName } from './names.js';
export { checkAgainstSchema } from './schema-check.js';
