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
} from './types.ts';
export { ConfigConflictError } from './errors.ts';
export { FileConfigStore, type FileConfigStoreOptions } from './file-store.ts';
export {
  EtcdConfigStore,
  createEtcdConfigStore,
  DEFAULT_ETCD_PREFIX,
  type EtcdConfigStoreOptions,
} from './etcd-store.ts';
export {
  KubernetesConfigStore,
  createKubernetesConfigStore,
  MAX_DOCUMENT_BYTES,
  type KubernetesConfigStoreOptions,
} from './kubernetes-store.ts';
export { openConfigStore, resolveBackend, splitEndpoints, type ConfigStoreSettings } from './open-store.ts';
export { parseConfigText, keyPathChanges } from './document.ts';
export { renderConfigText } from './document-text.ts';
export { unifiedDiff } from './text-diff.ts';
export { buildServiceConfig, type ConfigLayer } from './layers.ts';
export { schemaToJson, restartPathsOf, RESTART_KEYWORD } from './schema-json.ts';
export { ConfigWatcher, type ConfigWatcherOptions, type ConfigReloadStatus, type ReloadLogger } from './live-config.ts';
export { startConfigCentre, type ConfigCentreOptions, type ConfigCentreConnection } from './connection.ts';
export {
  attachConfigReload,
  registerConfigStatusRoute,
  CONFIG_STATUS_PATH,
  type ConfigReload,
  type AttachConfigReloadOptions,
} from './reload.ts';
export { defaultAuthor, checkName } from './names.ts';
export { checkAgainstSchema } from './schema-check.ts';
