export { loadConfig, parseAgainstSchema, resolveNamespace, type LoadConfigOptions, type LoadedConfig } from './load.ts';
export { ConfigError, type ConfigProblem } from './problems.ts';
export { envPrefix } from './env-overrides.ts';
export { maskConfig, redactUrlPassword, isSecretKey } from './secrets.ts';
export * from './centre/index.ts';
