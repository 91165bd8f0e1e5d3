export * from './runtime/index.js';
export { microserviceCrd, MicroserviceResource, toStructural } from './microservice/crd.js';
export { renderAll } from './microservice/render.js';
export { ConditionTypes, GROUP, VERSION, type Microservice, type MicroserviceSpec, type MicroserviceStatus } from './microservice/types.js';
export { startOperator, type OperatorOptions, type RunningOperator } from './operator.js';
export { runOperatorCommand } from './main.js';
