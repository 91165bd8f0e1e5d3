export * from './runtime/index.ts';
export { microserviceCrd, MicroserviceResource, toStructural } from './microservice/crd.ts';
export { renderAll } from './microservice/render.ts';
export {
  ConditionTypes,
  GROUP,
  VERSION,
  type Microservice,
  type MicroserviceSpec,
  type MicroserviceStatus,
} from './microservice/types.ts';
export { DatabaseResource } from './database/crd.ts';
export { ownerMark } from './database/ownership.ts';
export { appSecretName, DatabaseConditions, DSN_KEY, type Database, type DatabaseSpec, type DatabaseStatus } from './database/types.ts';
export { startOperator, type OperatorOptions, type RunningOperator } from './operator.ts';
export { runOperatorCommand } from './main.ts';
