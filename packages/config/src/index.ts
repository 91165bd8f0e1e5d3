// @flotilla/config: layered config (defaults < YAML < env), secrets, the config centre and its stores, and how the Kubernetes backends connect.
export { loadConfig, parseAgainstSchema, resolveNamespace, type LoadConfigOptions, type LoadedConfig } from './load.ts';
export { ConfigError, type ConfigProblem } from './problems.ts';
export { envPrefix } from './env-overrides.ts';
export { maskConfig, redactUrlPassword, isSecretKey } from './secrets.ts';
export * from './centre/index.ts';
export { compileChecker, schemaProblems, type SchemaProblem } from './schema-errors.ts';
export { connectToCluster, type Cluster, type ClusterSettings } from './kubernetes/cluster.ts';
export { kubeCall, kubernetesError, type KubeOperation } from './kubernetes/errors.ts';
export { kubeLogger } from './kubernetes/logger.ts';
