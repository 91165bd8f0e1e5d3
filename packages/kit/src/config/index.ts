export { loadConfig, parseAgainstSchema, resolveNamespace, type LoadConfigOptions, type LoadedConfig } from './load.js';
export { ConfigError, type ConfigProblem } from './problems.js';
export { serviceConfig, HttpConfig, GrpcConfig, LogConfig, DatabaseConfig, ShutdownConfig } from './base-schema.js';
export { envPrefix } from './env-overrides.js';
export { maskConfig, redactUrlPassword, isSecretKey } from './secrets.js';
export * from './centre/index.js';
