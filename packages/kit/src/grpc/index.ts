// @flotilla/kit/grpc: gRPC server and client factories and their interceptors.
export { createGrpcServer, type GrpcServer, type GrpcServerOptions, type GrpcServiceRegistration, type ShutdownResult } from './server.js';
export { unary, serverStreaming } from './handlers.js';
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
} from './client.js';
export { createOutboundInterceptor, type OutboundInterceptorOptions } from './client-interceptors.js';
export { createGuardedGrpcClient, guardGrpcClient, type GuardOptions, type GrpcMethodName } from './guarded-client.js';
export { createCallLogInterceptor, type CallLogOptions } from './server-interceptor.js';
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
} from './error-mapping.js';
export {
  encodeStatusDetails,
  decodeStatusDetails,
  STATUS_DETAILS_TRAILER,
  BAD_REQUEST_TYPE_URL,
  ERROR_INFO_TYPE_URL,
  type StatusDetails,
  type BadRequestViolation,
  type ErrorInfo,
} from './status-details.js';
export { HEALTH_SERVICE_NAME, ServingStatus, HealthReporter, healthServiceDefinition } from './health.js';
export { addReflection } from './reflection.js';
export { REQUEST_ID_METADATA_KEY, ensureRequestId } from './request-id.js';
export { MALFORMED_REQUEST_MESSAGE } from './server-handlers.js';
