// google.rpc rich errors: Status (the grpc-status-details-bin trailer), BadRequest, ErrorInfo, and Any.
export * from './gen/google/rpc/status.js';
export * from './gen/google/rpc/error_details.js';
export { Any } from './gen/google/protobuf/any.js';
