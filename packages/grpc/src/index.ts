// @flotilla/kit/grpc: gRPC server and client factories and their interceptors.
export {
  createGrpcServer,
  type GrpcServer,
  type GrpcServerOptions,
  type GrpcServiceRegistration,
  type ShutdownResult,
} from './server.ts';
export { unary, serverStreaming } from './promise-handlers.ts';
export {
  createGrpcClient,
  ChannelPool,
  defaultChannelPool,
  closeAll,
  type GrpcClient,
  type GrpcClientOptions,
  type GrpcCallOptions,
  type GrpcTargetPicker,
  type GrpcTargetLease,
  type GeneratedClientConstructor,
  type PromiseClient,
  type UnaryMethod,
  type ServerStreamingMethod,
} from './client.ts';
export { createOutboundInterceptor, type OutboundInterceptorOptions } from './client-interceptors.ts';
export { createGuardedGrpcClient, guardGrpcClient, type GuardOptions, type GrpcMethodName } from './guarded-client.ts';
export { createCallLogInterceptor, type CallLogOptions } from './server-interceptor.ts';
export {
  toGrpcStatus,
  toFlotillaError,
  grpcCodeFor,
  codeForStatus,
  isServiceError,
  ERROR_DOMAIN,
  VERSION_CONFLICT_REASON,
  INTERNAL_ERROR_MESSAGE,
  type GrpcErrorStatus,
} from './error-mapping.ts';
export {
  encodeStatusDetails,
  decodeStatusDetails,
  STATUS_DETAILS_TRAILER,
  BAD_REQUEST_TYPE_URL,
  ERROR_INFO_TYPE_URL,
  type StatusDetails,
  type BadRequestViolation,
  type ErrorInfo,
} from './status-details.ts';
export { HEALTH_SERVICE_NAME, ServingStatus, HealthReporter, healthServiceDefinition } from './health.ts';
export { addReflection, reflectionServices, REFLECTION_SERVICE_NAMES, type ReflectionService } from './reflection.ts';
export { listReflectedServices, ReflectionError } from './reflection-client.ts';
export { REQUEST_ID_METADATA_KEY, ensureRequestId } from './request-id.ts';
export {
  MALFORMED_REQUEST_MESSAGE,
  DEFAULT_MAX_METADATA_BYTES,
  createRequestGuardInterceptor,
  lenientDefinition,
  metadataSize,
  type RequestGuardOptions,
} from './request-guards.ts';
